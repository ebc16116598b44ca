"""Path parameters of the HTTP API, each declared once with a pattern and a bound (visible in OpenAPI).

An id that could never have been issued is a 422 before it reaches storage: DynamoDB refuses keys
over 2,048 bytes with a ValidationException, which would otherwise surface as a 500.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_ID_LENGTH = 100

ItemId = Annotated[
    str, Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=_ID_PATTERN, description="an item id: itm_...")
]
ReportId = Annotated[
    str, Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=_ID_PATTERN, description="a report id: rep_...")
]
PrincipalId = Annotated[
    str,
    Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=_ID_PATTERN, description="a principal id (fla_, rev_, ...)"),
]
FlaggerId = Annotated[
    str, Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=_ID_PATTERN, description="the flagger's id: fla_...")
]
PlatformId = Annotated[
    str,
    Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=_ID_PATTERN, description="a platform principal's id: pla_..."),
]

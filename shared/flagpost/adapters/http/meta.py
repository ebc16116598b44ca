"""Routes that describe the API itself: health and the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

router = Router()  # type: ignore[no-untyped-call]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/v1/health", summary="Liveness check (no authentication)", tags=["meta"])
def health() -> Health:
    return Health()


@router.get("/v1/openapi.json", summary="The OpenAPI 3.1 document of this API", tags=["meta"])
def openapi() -> Response[str]:
    from flagpost.adapters.http.app import openapi_json

    return Response(status_code=200, content_type="application/json", body=openapi_json())

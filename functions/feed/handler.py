"""Lambda: GET /v1/feed and POST /v1/feed/items/{item_id}/outcome."""

from flagpost.adapters.http.feed import router
from flagpost.domain.models.principal import Role
from flagpost.wiring import http_function

app, lambda_handler = http_function(router, role=Role.PLATFORM)

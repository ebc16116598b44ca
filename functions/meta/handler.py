"""Lambda: GET /v1/health and GET /v1/openapi.json."""

from flagpost import snapstart
from flagpost.adapters.http.meta import router
from flagpost.wiring import http_function

app, lambda_handler = http_function(router)
snapstart.prepare()

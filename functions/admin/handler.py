"""Lambda: /v1/admin/* (principals, keys, redelivery) and /v1/stats."""

from flagpost.adapters.http.admin import router
from flagpost.domain.models.principal import Role
from flagpost.wiring import http_function

app, lambda_handler = http_function(router, role=Role.ADMIN)

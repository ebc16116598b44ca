"""Lambda: /v1/admin/* (principals, keys, redelivery) and /v1/stats."""

from flagpost import snapstart
from flagpost.adapters.http.admin import router
from flagpost.domain.models.principal import Role
from flagpost.wiring import http_function, principal_admin, principal_store, stats_service

app, lambda_handler = http_function(router, role=Role.ADMIN)
snapstart.prepare(principal_admin, stats_service, principal_store)

"""Lambda: /v1/admin/* (principals and keys)."""

from flagpost.adapters.http.admin import router
from flagpost.adapters.http.app import build_resolver, lambda_handler_for
from flagpost.domain.models.principal import Role

app = build_resolver(router)
lambda_handler = lambda_handler_for(app, Role.ADMIN)

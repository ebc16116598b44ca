"""Lambda: /v1/admin/* (principals and keys)."""

from flagpost.api.admin import router
from flagpost.api.app import build_resolver, lambda_handler_for
from flagpost.principals.models import Role

app = build_resolver(router)
lambda_handler = lambda_handler_for(app, Role.ADMIN)

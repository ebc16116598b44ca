"""Lambda: GET /v1/feed and POST /v1/feed/items/{item_id}/outcome."""

from flagpost.adapters.http.app import build_resolver, lambda_handler_for
from flagpost.adapters.http.feed import router
from flagpost.domain.models.principal import Role

app = build_resolver(router)
lambda_handler = lambda_handler_for(app, Role.PLATFORM)

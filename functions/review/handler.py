"""Lambda: the reviewer routes under /v1/review (claim, lease, decision, retract, items, queue counts)."""

from flagpost.adapters.http.app import build_resolver, lambda_handler_for
from flagpost.adapters.http.review import router
from flagpost.domain.models.principal import Role

app = build_resolver(router)
lambda_handler = lambda_handler_for(app, Role.REVIEWER)

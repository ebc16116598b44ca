"""Lambda: the reviewer routes under /v1/review (claim, lease, decision, retract, items, queue counts)."""

from flagpost.api.app import build_resolver, lambda_handler_for
from flagpost.api.review import router
from flagpost.principals.models import Role

app = build_resolver(router)
lambda_handler = lambda_handler_for(app, Role.REVIEWER)

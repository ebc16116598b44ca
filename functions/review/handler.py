"""Lambda: the reviewer routes under /v1/review (claim, lease, decision, retract, items, queue counts)."""

from flagpost.adapters.http.review import router
from flagpost.domain.models.principal import Role
from flagpost.wiring import http_function

app, lambda_handler = http_function(router, role=Role.REVIEWER)

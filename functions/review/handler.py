"""Lambda: the reviewer routes under /v1/review (claim, lease, decision, retract, items, queue counts)."""

from flagpost import snapstart
from flagpost.adapters.http.review import router
from flagpost.domain.models.principal import Role
from flagpost.wiring import http_function, principal_store, review_reads, review_service

app, lambda_handler = http_function(router, role=Role.REVIEWER)
snapstart.prepare(review_service, review_reads, principal_store)

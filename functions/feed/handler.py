"""Lambda: GET /v1/feed and POST /v1/feed/items/{item_id}/outcome."""

from flagpost import snapstart
from flagpost.adapters.http.feed import router
from flagpost.domain.models.principal import Role
from flagpost.wiring import feed_store, http_function, outcome_service, principal_store

app, lambda_handler = http_function(router, role=Role.PLATFORM)
snapstart.prepare(feed_store, outcome_service, principal_store)

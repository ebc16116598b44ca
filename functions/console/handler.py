"""Lambda: GET /console, the reviewer console page."""

from flagpost.adapters.http.app import build_resolver, lambda_handler_for
from flagpost.adapters.http.console import router

app = build_resolver(router)
lambda_handler = lambda_handler_for(app)

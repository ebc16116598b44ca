"""Lambda: GET /console, the reviewer console page."""

from flagpost import snapstart
from flagpost.adapters.http.console import router
from flagpost.wiring import http_function

app, lambda_handler = http_function(router)
snapstart.prepare()

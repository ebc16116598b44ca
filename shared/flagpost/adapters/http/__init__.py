"""The HTTP API on powertools' resolver: routers, the bearer guard, and the one exception -> problem mapping."""

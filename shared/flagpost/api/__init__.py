"""The HTTP API: routers per area, one resolver factory, one place mapping exceptions to problems."""

"""Static assets of the HTTP API: the reviewer console page (console.html)."""

"""Ingest: signed submissions from trusted flaggers become reports on deduplicated items."""

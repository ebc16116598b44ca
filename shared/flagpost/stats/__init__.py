"""Transparency statistics kept as counters, updated as events happen, never by scanning items."""

"""Delivery to platforms: routing, the pull feed, signed pushes, outcomes."""

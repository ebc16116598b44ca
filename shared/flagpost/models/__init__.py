"""Typed messages of the domain: reports as flaggers send them, items, decisions, results."""

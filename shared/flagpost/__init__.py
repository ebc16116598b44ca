"""Flagpost: the review pipeline between trusted flaggers of terrorist propaganda and platforms."""

__version__ = "0.1.0"

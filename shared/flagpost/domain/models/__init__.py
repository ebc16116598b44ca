"""The domain's data: what is reported, reviewed, decided, delivered and counted."""

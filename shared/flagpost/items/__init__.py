"""Items: the deduplicated unit of review, and how reports land on them."""

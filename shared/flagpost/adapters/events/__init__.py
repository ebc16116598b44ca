"""Event sources: the items table's stream (dispatch and statistics) and the forward queue (pushes),
parsed with powertools' parser models and processed with partial batch failures."""

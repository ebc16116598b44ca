"""`flagpost local`: the whole stack on this machine, on moto, built from template.yaml (never deployed)."""

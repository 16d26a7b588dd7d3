"""Real public data: loaders for the files in ``data/raw`` (each checked against its provenance)."""

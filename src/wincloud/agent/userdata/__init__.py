"""User-data: what is in it (scripts, MIME parts) and how each kind is run."""

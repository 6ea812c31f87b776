"""User-data: what is in it (scripts, cloud-config, MIME parts) and how it is read. Pure
parsers; the plugins apply what they find."""

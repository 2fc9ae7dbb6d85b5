"""Admin screens of the extension: one module per screen, one shared access base (access.py)."""

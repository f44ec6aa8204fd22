"""One module per top-level command (the new ones first; the others move here later)."""

"""One module per top-level command (DESIGN.md §1)."""

"""One module per top-level command, named as the command."""

"""One module per top-level command, named as the command; a command with parts is a package."""

"""``ecrctl sync``: many repositories and every tag between registries, digest for digest."""

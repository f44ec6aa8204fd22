"""Images of a repository: listing, retag, untag, index references, push/pull through docker."""

"""``ecrctl copy``: images copied digest for digest between any two OCI registries (ECR or not)."""

"""The OCI distribution API over HTTP: connections, auth and tokens, manifests, blobs, uploads."""

"""Login: registry targets and tokens, the token cache, the docker config, login status.

Nothing is imported here: the credential helper's hot path imports only what it needs."""

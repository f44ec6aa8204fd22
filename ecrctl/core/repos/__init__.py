"""Repositories: create, list, show, set, remove."""

"""Fixtures for the end-to-end tests: the real docker parts (see docker_env.py)."""

from tests.e2e.docker_env import docker_env

__all__ = ["docker_env"]

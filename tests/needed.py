"""Test-only: what to do when a real part a test needs (docker-registry, skopeo, dockerd) is
missing: skip with the reason on a developer's machine, fail in CI, where `.ci/run` installs
every part and sets ECRCTL_E2E_DOCKER=required, so a missing part can never pass as a skip."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def required() -> bool:
    return os.environ.get("ECRCTL_E2E_DOCKER") == "required"


def unavailable(reason: str) -> NoReturn:
    if required():
        pytest.fail(f"ECRCTL_E2E_DOCKER=required but {reason}")
    pytest.skip(reason)

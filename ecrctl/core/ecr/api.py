"""The one typed ECR client wrapper: a registry's id, pages, "not found", pacing and retry notes.

Every module of ecrctl talks to ECR through an ``EcrRegistry`` (as chalice's ``TypedAWSClient``):
one named method per ECR operation ecrctl uses, typed with the ``mypy_boto3_ecr`` stubs, in three
parts (core/ecr/repository_calls.py, policy_calls.py, registry_calls.py, over base.py). The client
is private; ``tests/test_house.py`` finds an ECR call made anywhere else. The methods are named
for what they do and never as the operation itself, so that the house check tells them apart.

- the registry id (``--registry-id``, another account's registry) is added to every call that
  takes one;
- listings use botocore's paginators, always asking for the largest page ECR allows;
  BatchGetImage is sent 100 image ids at a time;
- ``RepositoryNotFoundException`` and ``ImageNotFoundException`` become ``RepositoryNotFound``
  and ``ImageNotFound`` (both ``NotFound``, exit 3) with one message, naming the registry asked;
  the other answers a caller acts on become ecrctl's own exceptions (``RepositoryAlreadyExists``,
  ``ScanNotFound``, ...) or a None answer (no such policy, rule or setting), so that no caller
  needs the client or its exception classes;
- PutImage is paced (about 10 calls a second per region) by a token bucket asked once per HTTP
  attempt, retries included, through botocore's ``before-send.ecr.PutImage`` event.

Retries: botocore's retry configuration is the only retry layer, its attempts set once in
``session.client``: the person's ``AWS_MAX_ATTEMPTS`` / ``max_attempts`` if set; else
``BULK_ATTEMPTS`` for the bulk writers (retag's PutImage, untag's BatchDeleteImage), room for a
burst of throttling; else botocore's default (3, as the aws CLI, so that a wrong endpoint fails
in a moment). botocore's standard mode retries throttling, 5xx answers and network errors with
backoff; ecrctl adds no loop of its own, so a throttled PutImage is tried at most that many times
in all. ``report_retries`` only observes botocore's retries (core/ecr/hooks.py).

ECR Public's GetAuthorizationToken (``login --public``) is the one ECR call made elsewhere
(core/login/targets.py): ECR Public is another service (``ecr-public``), whose stubs ecrctl does
not install.
"""

from __future__ import annotations

from ecrctl.core.ecr.base import MAX_BATCH_IDS, MAX_PAGE, chunked
from ecrctl.core.ecr.hooks import OnRetry
from ecrctl.core.ecr.policy_calls import PREVIEW_PAGE, PolicyCalls
from ecrctl.core.ecr.registry_calls import RegistryCalls
from ecrctl.core.ecr.repository_calls import RepositoryCalls, TagMutability

BULK_ATTEMPTS = 8  # attempts per call of retag/untag when the person configured none (default 3)

__all__ = [
    "BULK_ATTEMPTS",
    "MAX_BATCH_IDS",
    "MAX_PAGE",
    "PREVIEW_PAGE",
    "EcrRegistry",
    "OnRetry",
    "TagMutability",
    "chunked",
]


class EcrRegistry(RepositoryCalls, PolicyCalls, RegistryCalls):
    """One registry's ECR API on one client (one region); ``registry_id`` None is the caller's.

    Repositories and images (``repositories``, ``images``, ``get_manifests``, ``put_manifest``,
    ``delete_image_ids`` ...), lifecycle and repository policies and scans (``lifecycle_policy``,
    ``start_lifecycle_preview``, ``repository_policy``, ``start_scan``, ``scan_findings`` ...),
    and registry-wide settings, replication, pull-through cache rules and tokens
    (``registry_scanning``, ``account_setting``, ``registry_replication``,
    ``pull_through_rules``, ``authorization_data`` ...)."""

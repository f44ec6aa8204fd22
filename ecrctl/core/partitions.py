"""AWS's partitions and their regions, from botocore's own data (``partitions.json``).

Read only when needed, never on the success path: to say that a region the endpoint could not
be reached in is not a region of its partition at all (a typo, not a network problem), and to
complete ``--region``. botocore ships this data with each release; a region newer than the
installed botocore is not in it, so a region is never refused before a call because of it.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class Partition:
    name: str  # aws, aws-cn, aws-us-gov, ...
    dns_suffix: str  # amazonaws.com, amazonaws.com.cn, ...
    regions: tuple[str, ...]  # the named regions, without the "-global" pseudo-regions


@functools.cache
def partitions() -> tuple[Partition, ...]:
    from botocore.loaders import Loader

    data = Loader().load_data("partitions")
    found = []
    for entry in data.get("partitions") or []:
        regions = tuple(sorted(r for r in entry.get("regions") or {} if not r.endswith("global")))
        suffix = str((entry.get("outputs") or {}).get("dnsSuffix") or "")
        found.append(Partition(str(entry.get("id")), suffix, regions))
    return tuple(found)


def partition_of(region: str | None) -> Partition:
    """The partition a region is in (by name, else by its prefix: cn-, us-gov-, ...); aws."""
    every = partitions()
    for partition in every:
        if region in partition.regions:
            return partition
    prefixes = {"cn-": "aws-cn", "us-gov-": "aws-us-gov", "us-isob-": "aws-iso-b"}
    prefixes |= {"us-iso-": "aws-iso", "eu-isoe-": "aws-iso-e", "us-isof-": "aws-iso-f"}
    wanted = next((p for prefix, p in prefixes.items() if (region or "").startswith(prefix)), "aws")
    return next((p for p in every if p.name == wanted), every[0])


def is_known(region: str) -> bool:
    return any(region in p.regions for p in partitions())


def unknown_region(region: str) -> str | None:
    """What to say about a region no partition has ('region eu-wset-1 is not an AWS region
    ...; did you mean eu-west-1?'); None for a region botocore knows."""
    if is_known(region):
        return None
    partition = partition_of(region)
    close = difflib.get_close_matches(region, partition.regions, n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"region {region} is not a region of AWS partition {partition.name}{hint}"


def region_of_endpoint(url: str) -> str | None:
    """The region of an AWS endpoint URL (``https://api.ecr.eu-west-1.amazonaws.com/`` ->
    eu-west-1); None for a global endpoint or another host (an emulator, a proxy)."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    for partition in sorted(partitions(), key=lambda p: -len(p.dns_suffix)):
        suffix = "." + partition.dns_suffix
        if partition.dns_suffix and host.endswith(suffix):
            labels = host[: -len(suffix)].split(".")
            return labels[-1] if len(labels) > 1 and labels[-1] else None
    return None

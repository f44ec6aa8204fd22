"""Every environment at once: the same read over many sources (profile x region), concurrently.

A fleet is a list of profiles (or of an organisation's accounts, ``--accounts``) and a list of
regions (or every region enabled for each account).
Each profile gets one session (``ProfileAccess``, built by the caller: core never creates one);
its credentials are resolved once, in that profile's own task, before any of its regions is
asked, and its clients are made there too (a botocore session is not thread-safe; its clients
are). The per-source reads then run on a bounded pool (8 at a time by default). A source that
fails (an expired SSO session, AccessDenied, a region not enabled) is recorded with its error;
it never hides the others.

An organisation's accounts are read the same way, with an ``AdaptiveWidth`` instead of the fixed
pool: each account's set-up (its AssumeRole) and each source's read take a slot, and a throttled
one narrows the width and is asked again (core/org/limiter.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Generic, Protocol, TypedDict, TypeVar

from ecrctl.core.exceptions import ImageNotFound, InvalidInput, RepositoryNotFound
from ecrctl.core.org.limiter import AdaptiveWidth, with_backoff

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageIdentifierTypeDef

    from ecrctl.core.ecr.api import EcrRegistry

T = TypeVar("T")
K = TypeVar("K")

CONCURRENCY = 8
ALL_REGIONS = "all"
# Where DescribeRegions is asked when a profile names no region of its own.
DEFAULT_REGION = "us-east-1"
_PROFILE_RE = re.compile(r"[A-Za-z0-9_.@+/-]{1,128}")
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


class RegionLister(Protocol):
    """EC2's DescribeRegions (no stubs are installed for EC2)."""

    def describe_regions(self) -> Mapping[str, Sequence[Mapping[str, object]]]: ...


class ProfileAccess(Protocol):
    """One profile's session: its credentials, its identity, its clients per region."""

    profile: str | None

    def resolve_credentials(self) -> str:
        """Load the credentials (raises when there are none); returns where they came from."""
        ...

    def default_region(self) -> str | None: ...

    def identity(self) -> dict[str, str]:
        """STS GetCallerIdentity: Account, Arn, UserId."""
        ...

    def ec2(self, region: str) -> RegionLister:
        """The profile's EC2 client in ``region`` (to list the regions enabled)."""
        ...

    def registry(self, region: str) -> EcrRegistry:
        """The profile's own ECR registry in ``region``."""
        ...


@dataclass(frozen=True)
class Source:
    """Where one read happens: a profile (None: the default credential chain) and a region; or
    an organisation's account (``account``, its ``name`` there) and a region."""

    profile: str | None
    region: str | None
    label: str  # the profile as shown: its name, or the one botocore picks by default
    account: str | None = None  # --accounts: the account, known before any call
    name: str | None = None  # --accounts: its name in Organizations

    @property
    def where(self) -> str:
        """``profile dev`` or ``account 111111111111 (dev)``."""
        if self.account is not None:
            return f"account {self.account}" + (f" ({self.name})" if self.name else "")
        return f"profile {self.label}"

    def describe(self) -> str:
        return f"{self.where}, region {self.region or '-'}"


def profile_source(
    label: Callable[[str | None], str],
) -> Callable[[str | None, str | None], Source]:
    """The sources of a profile, labelled by ``label``."""
    return lambda profile, region: Source(profile, region, label(profile))


@dataclass
class ProfileContext:
    """What the fleet learnt about a profile once, shared by its regions' reads."""

    access: ProfileAccess
    account: str
    arn: str
    credential_source: str


@dataclass
class Outcome(Generic[T]):
    """One source's result, or the error it failed with."""

    source: Source
    account: str | None = None
    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class FleetResult(Generic[T]):
    outcomes: list[Outcome[T]] = field(default_factory=list)

    @property
    def succeeded(self) -> list[Outcome[T]]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome[T]]:
        return [o for o in self.outcomes if not o.ok]


def parse_profiles(text: str | None) -> list[str]:
    """``dev,stage,prod`` -> names, in order, each once; checked before any call."""
    if text is None:
        return []
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        raise InvalidInput("--profiles: name at least one profile (dev,stage,prod)")
    for name in names:
        if not _PROFILE_RE.fullmatch(name):
            raise InvalidInput(f"--profiles: {name!r} is not a profile name")
    return list(dict.fromkeys(names))


def parse_regions(text: str | None) -> list[str] | None:
    """``eu-west-1,us-east-1`` -> names; ``all`` -> [ALL_REGIONS]; None: each profile's own."""
    if text is None:
        return None
    names = [r.strip() for r in text.split(",") if r.strip()]
    if not names:
        raise InvalidInput("--regions: name at least one region (eu-west-1,us-east-1) or all")
    if ALL_REGIONS in names:
        if len(names) > 1:
            raise InvalidInput("--regions all stands alone: every region enabled for the account")
        return [ALL_REGIONS]
    for name in names:
        if not _REGION_RE.fullmatch(name):
            raise InvalidInput(f"--regions: {name!r} is not a region name (e.g. eu-west-1)")
    return list(dict.fromkeys(names))


def enabled_regions(ec2: RegionLister) -> list[str]:
    """The regions enabled for the account (EC2 DescribeRegions without AllRegions: the
    opt-in regions not opted into are left out, as AWS documents)."""
    response = ec2.describe_regions()
    return sorted(str(r["RegionName"]) for r in response.get("Regions") or [])


class Fleet(Generic[K]):
    """Runs one read on every source, ``concurrency`` at a time (or as many as ``width``
    allows), keeping every outcome."""

    def __init__(
        self,
        open_profile: Callable[[K], ProfileAccess],
        profiles: Sequence[K],
        regions: Sequence[str] | None,
        *,
        source: Callable[[K, str | None], Source],
        region: str | None = None,
        concurrency: int = CONCURRENCY,
        width: AdaptiveWidth | None = None,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        """``profiles``: profile names, or anything ``open_profile`` opens (an organisation's
        accounts), each shown as ``source(it, region)``. ``regions`` None: each profile's
        ``region`` (the --region / env one) or its own."""
        self.open_profile = open_profile
        self.profiles = list(profiles)
        self.regions = None if regions is None else list(regions)
        self.region = region
        self.source = source
        self.concurrency = concurrency
        self.width = width
        self.sleep = sleep
        self.contexts: dict[K, ProfileContext] = {}

    def _attempt(self, action: Callable[[], T]) -> T:
        """``action()``; with a width, in one of its slots and asked again when throttled."""
        if self.width is None:
            return action()
        if self.sleep is None:
            return with_backoff(action, self.width)
        return with_backoff(action, self.width, sleep=self.sleep)

    def _regions_of(self, access: ProfileAccess) -> list[str | None]:
        if self.regions == [ALL_REGIONS]:
            where = self.region or access.default_region() or DEFAULT_REGION
            return list(enabled_regions(access.ec2(where)))
        if self.regions is not None:
            return list(self.regions)
        return [self.region or access.default_region()]

    def run(self, read: Callable[[ProfileContext, str], T]) -> FleetResult[T]:
        """``read(context, region)`` on every source; outcomes in profile, then region order."""
        lock = threading.Lock()
        done: dict[tuple[int, int], Outcome[T]] = {}
        futures: list[Future[None]] = []

        def one(index: int, position: int, context: ProfileContext, source: Source) -> None:
            try:
                if source.region is None:
                    from ecrctl.core.exceptions import ConfigurationError

                    raise ConfigurationError(
                        f"no region for {source.where}: pass --regions or --region"
                    )
                where = source.region
                value = self._attempt(lambda: read(context, where))
                outcome = Outcome[T](source, context.account, value)
            except Exception as error:  # every source's error is reported
                outcome = Outcome[T](source, context.account, error=error)
            with lock:
                done[(index, position)] = outcome

        def opened(profile: K) -> tuple[ProfileContext, list[str | None]]:
            access = self.open_profile(profile)
            method = access.resolve_credentials()
            regions = self._regions_of(access)
            who = access.identity()
            context = ProfileContext(access, who["Account"], who.get("Arn", ""), method)
            for region in regions:  # clients made here: one thread per session
                if region is not None:
                    access.registry(region)
            return context, regions

        def prepare(index: int, profile: K) -> None:
            try:
                context, regions = self._attempt(lambda: opened(profile))
            except Exception as error:  # the whole profile failed
                asked: list[str | None] = [self.region]
                if self.regions is not None and self.regions != [ALL_REGIONS]:
                    asked = list(self.regions)
                with lock:
                    for position, region in enumerate(asked):
                        source = self.source(profile, region)
                        done[(index, position)] = Outcome[T](source, source.account, error=error)
                return
            with lock:
                self.contexts[profile] = context
                for position, region in enumerate(regions):
                    source = self.source(profile, region)
                    futures.append(pool.submit(one, index, position, context, source))

        workers = self.width.ceiling if self.width is not None else self.concurrency
        with ThreadPoolExecutor(max_workers=workers) as pool:
            preparing = [pool.submit(prepare, i, p) for i, p in enumerate(self.profiles)]
            for future in preparing:
                future.result()
            with lock:
                pending = list(futures)
            for future in pending:
                future.result()
        return FleetResult([done[key] for key in sorted(done)])


class LocatedJson(TypedDict):
    repository: str
    tags: list[str]
    digest: str
    pushedAt: str | None


@dataclass(frozen=True)
class Located:
    """An image found in one source: the tag asked for (or the digest's tags) and its digest."""

    repository: str
    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime | None = None

    def to_json(self) -> LocatedJson:
        from ecrctl.core.models import iso

        return {
            "repository": self.repository,
            "tags": list(self.tags),
            "digest": self.digest,
            "pushedAt": iso(self.pushed_at),
        }


def locate(
    registry: EcrRegistry, repository: str, *, tag: str | None, digest: str | None
) -> list[Located]:
    """The image a tag or digest names in one registry; [] when the repository or image is not
    there (absence is an answer here, not an error)."""
    image_id: ImageIdentifierTypeDef = {"imageDigest": digest} if digest else {"imageTag": str(tag)}
    try:
        details = registry.images_by_id(repository, [image_id])
    except (RepositoryNotFound, ImageNotFound):
        return []
    found = []
    for image in details:
        tags = tuple(sorted(image.get("imageTags") or []))
        if tag is not None and not digest:
            tags = (tag,)
        found.append(
            Located(repository, str(image["imageDigest"]), tags, image.get("imagePushedAt"))
        )
    return found

"""What a sync covers: SOURCE and DEST (one repository, or every repository under a prefix),
the filters (``--repo``, ``--tag``, ``--newest``), and the pairs of images they make, one per
source tag. Parsed and checked before any call (bad input is exit 2)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import DOCKER_HUB, Reference, parse_reference
from ecrctl.core.versions import version_key


@dataclass(frozen=True)
class Repositories:
    """One repository, or every repository under a prefix: ``HOST/team/`` (``HOST/`` is the
    whole registry, ``team/`` a prefix in the profile's ECR registry). ``host`` None: the
    profile's ECR registry; ``path``: the repository, or the prefix without its final ``/``."""

    path: str
    host: str | None = None
    prefix: bool = False

    def below(self, repository: str) -> str:
        """A repository's path below this prefix (``team/app`` under ``team/`` is ``app``);
        of a single repository, its last component (as skopeo sync names it)."""
        if not self.prefix:
            return repository.rsplit("/", 1)[-1]
        return repository[len(self.path) + 1 :] if self.path else repository

    def repository(self, relative: str) -> str:
        """The repository that ``relative`` (a path below the source) becomes here."""
        if not self.prefix:
            return self.path
        return f"{self.path}/{relative}" if self.path else relative

    def contains(self, repository: str) -> bool:
        return not self.path or repository.startswith(self.path + "/")

    def __str__(self) -> str:
        return display(Reference(self.path or "", host=self.host)).rstrip("/") + (
            "/" if self.prefix else ""
        )


def display(ref: Reference) -> str:
    """A reference as people write it: Docker Hub as ``docker.io``."""
    text = str(ref)
    return "docker.io" + text[len(DOCKER_HUB) :] if ref.host == DOCKER_HUB else text


def parse_repositories(text: str, *, what: str = "source") -> Repositories:
    """``HOST/PATH`` (one repository) or ``HOST/PATH/`` (a prefix); no tag, no digest.

    Parsed as an image reference would be (core/names.py), so hosts, Docker Hub's names and
    the repository grammar are the same as everywhere else."""
    raw = text.strip()
    prefix = raw.endswith("/")
    body = raw.removeprefix("https://").removeprefix("http://")
    if not body.strip("/"):
        raise InvalidInput(f"empty {what}: name a repository, or a prefix ending in '/'")
    if not prefix:
        host, colon, port = body.partition(":")
        if "/" not in body and colon and port.isdigit() and ("." in host or host == "localhost"):
            raise InvalidInput(
                f"{what} {raw!r} is a registry, not a repository: end it with '/' for every "
                f"repository in it ({raw}/)"
            )
        ref = parse_reference(raw, what=what)
        if ref.tag or ref.digest:
            raise InvalidInput(
                f"{what} {raw!r} names an image: give a repository, or a prefix ending in '/' "
                "(pick tags with --tag)"
            )
        return Repositories(ref.repository, ref.host)
    # A prefix parses as a repository one level below it would: ``team/`` as ``team/x``.
    try:
        ref = parse_reference(body + "x", what=what)
    except InvalidInput as error:
        if "invalid repository" not in str(error):  # the host: its own message
            raise InvalidInput(str(error).replace(repr(body + "x"), repr(raw))) from None
        raise InvalidInput(
            f"{what} {raw!r}: invalid repository prefix (lower-case letters, digits and single "
            "separators '.', '_', '__', '-' or '/', then a final '/')"
        ) from None
    if ref.tag or ref.digest:
        raise InvalidInput(f"{what} {raw!r}: a prefix has no tag or digest")
    path = ref.repository[:-2] if ref.repository.endswith("/x") else ""
    if ref.host == DOCKER_HUB and not body.rstrip("/").count("/"):
        path = ""  # docker.io/ (parse_reference reads docker.io/x as library/x)
    return Repositories(path, ref.host, prefix=True)


@dataclass(frozen=True)
class Selection:
    """The filters: ``--repo GLOB`` and ``--tag GLOB`` (any one matching selects), and
    ``--newest N`` per repository in natural version order (after ``--tag``)."""

    repos: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    newest: int | None = None

    def __post_init__(self) -> None:
        if self.newest is not None and self.newest < 1:
            raise InvalidInput(f"invalid --newest {self.newest}: a number of tags, 1 or more")
        for option, globs in (("--repo", self.repos), ("--tag", self.tags)):
            for glob in globs:
                _check_glob(option, glob)

    def repository(self, relative: str, full: str) -> bool:
        """A repository is selected when a ``--repo`` glob matches its path below SOURCE or
        its full name."""
        return not self.repos or any(
            fnmatch.fnmatchcase(relative, glob) or fnmatch.fnmatchcase(full, glob)
            for glob in self.repos
        )

    def select_tags(self, tags: list[str]) -> list[str]:
        """The tags to sync, in natural version order (oldest first)."""
        chosen = [t for t in tags if not self.tags or any(_match(t, g) for g in self.tags)]
        ordered = sorted(set(chosen), key=lambda t: (version_key(t), t))
        return ordered[-self.newest :] if self.newest else ordered


def _check_glob(option: str, glob: str) -> None:
    """A glob that can match no name is a mistake, not an empty selection: an empty one, and
    an unclosed ``[`` (fnmatch reads it as a literal ``[``, which no tag or repository holds)."""
    if not glob.strip():
        raise InvalidInput(f"invalid {option} {glob!r}: an empty pattern")
    i = 0
    while i < len(glob):
        if glob[i] == "[":
            j = i + 1
            j += j < len(glob) and glob[j] == "!"
            j += j < len(glob) and glob[j] == "]"
            j = glob.find("]", j)
            if j < 0:
                raise InvalidInput(
                    f"invalid {option} {glob!r}: '[' at {i + 1} is not closed by ']'"
                )
            i = j
        i += 1


def _match(tag: str, glob: str) -> bool:
    return fnmatch.fnmatchcase(tag, glob)


@dataclass(frozen=True)
class Item:
    """One image to sync: a source tag and the destination tag it becomes (the same tag)."""

    source: Reference
    destination: Reference


def check_shapes(source: Repositories, destination: Repositories) -> None:
    if source.prefix and not destination.prefix:
        raise InvalidInput(
            f"SOURCE {source} is a prefix (many repositories) but DEST {destination} is one "
            "repository: end DEST with '/' to put each repository under it"
        )


def check_apart(source: Repositories, destination: Repositories) -> None:
    """DEST may not be SOURCE nor lie inside it (both with their hosts resolved): images would
    be copied onto themselves, or each run would list last run's copies and copy them again,
    one level deeper."""
    if source.host != destination.host:
        return
    if not source.prefix:
        if destination.repository(source.below(source.path)) == source.path:
            raise InvalidInput(
                f"DEST {destination} puts SOURCE {source} onto itself: give a DEST outside SOURCE"
            )
    elif source.contains(destination.path) or destination.path == source.path:
        raise InvalidInput(
            f"DEST {destination} is SOURCE {source} or lies inside it: images would be copied "
            "onto themselves, or copies copied again on every run; give a DEST outside SOURCE"
        )


def items_for(
    source: Repositories, destination: Repositories, repository: str, tags: list[str]
) -> list[Item]:
    """The images of one source repository, paired with their destination."""
    target = destination.repository(source.below(repository))
    return [
        Item(
            Reference(repository, tag=tag, host=source.host),
            Reference(target, tag=tag, host=destination.host),
        )
        for tag in tags
    ]

"""ecrctl sync's core, piece by piece: SOURCE/DEST parsing, filters and natural-order newest,
Link paging of distribution listings, Docker Hub's namespace pages, its rate-limit headers,
and the blob cache's claims (who uploads a shared layer, who waits and mounts)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from ecrctl.core.distribution.client import RegistryError
from ecrctl.core.exceptions import BadAnswer, InvalidInput
from ecrctl.core.names import DOCKER_HUB
from ecrctl.core.sync.blobcache import BlobCache
from ecrctl.core.sync.hub import HubApi
from ecrctl.core.sync.listing import next_link, paged
from ecrctl.core.sync.plan import (
    Repositories,
    Selection,
    check_apart,
    check_shapes,
    items_for,
    parse_repositories,
)
from ecrctl.core.sync.ratelimit import PullGuard, is_rate_limited, parse_ratelimit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("docker.io/connectedhome/", Repositories("connectedhome", DOCKER_HUB, True)),
        ("docker.io/nginx", Repositories("library/nginx", DOCKER_HUB, False)),
        ("index.docker.io/library/", Repositories("library", DOCKER_HUB, True)),
        ("docker.io/", Repositories("", DOCKER_HUB, True)),
        ("127.0.0.1:5000/team/", Repositories("team", "127.0.0.1:5000", True)),
        ("127.0.0.1:5000/", Repositories("", "127.0.0.1:5000", True)),
        ("localhost/a/b/", Repositories("a/b", "localhost", True)),
        ("team/", Repositories("team", None, True)),
        ("team/app", Repositories("team/app", None, False)),
        ("https://ghcr.io/org/tool", Repositories("org/tool", "ghcr.io", False)),
        ("111122223333.dkr.ecr.eu-west-1.amazonaws.com/", Repositories(
            "", "111122223333.dkr.ecr.eu-west-1.amazonaws.com", True)),
    ],
)  # fmt: skip
def test_source_and_dest_name_one_repository_or_a_prefix(text: str, expected: Any) -> None:
    assert parse_repositories(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty SOURCE"),
        ("/", "empty SOURCE"),
        ("team/app:1.0", "names an image"),
        ("team/app@sha256:" + "a" * 64, "names an image"),
        ("Team/", "invalid repository"),
        ("team//", "invalid repository"),
        ("127.0.0.1:5000//", "'127.0.0.1:5000//': invalid repository prefix"),
        ("127.0.0.1:5000", "is a registry, not a repository: end it with '/'"),
        ("https://localhost:5000", "is a registry, not a repository"),
        ("bad_host.x:1/team/", "SOURCE 'bad_host.x:1/team/': 'bad_host.x:1' is not a registry"),
    ],
)
def test_bad_source_is_one_line_before_any_call(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_repositories(text, what="SOURCE")


def test_each_repository_keeps_its_path_below_the_prefix() -> None:
    source = parse_repositories("docker.io/connectedhome/")
    dest = parse_repositories("111122223333.dkr.ecr.eu-west-1.amazonaws.com/")
    items = items_for(source, dest, "connectedhome/hc-devcon-cpp-arm64", ["1.0"])
    assert str(items[0].destination) == (
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com/hc-devcon-cpp-arm64:1.0"
    )
    assert str(items[0].source) == f"{DOCKER_HUB}/connectedhome/hc-devcon-cpp-arm64:1.0"
    nested = items_for(
        parse_repositories("team/"), parse_repositories("mirror/"), "team/a/b", ["x"]
    )
    assert nested[0].destination.repository == "mirror/a/b"
    single = items_for(
        parse_repositories("docker.io/nginx"), parse_repositories("m/"), "library/nginx", ["1"]
    )
    assert single[0].destination.repository == "m/nginx"  # one repository: its last component
    assert str(parse_repositories("docker.io/connectedhome/")) == "docker.io/connectedhome/"


def test_a_prefix_source_needs_a_prefix_destination() -> None:
    with pytest.raises(InvalidInput, match="end DEST with '/'"):
        check_shapes(parse_repositories("team/"), parse_repositories("mirror"))
    check_shapes(parse_repositories("team/app"), parse_repositories("mirror/"))


def test_tag_and_repo_globs_and_newest_in_natural_version_order() -> None:
    tags = ["1.0.10", "1.0.9", "1.0.0", "1.0.0-rc1", "v2", "v10", "latest", "1.1"]
    assert Selection().select_tags(tags) == [
        "1.0.0-rc1", "1.0.0", "1.0.9", "1.0.10", "1.1", "latest", "v2", "v10"]  # fmt: skip
    assert Selection(tags=("1.0.*",), newest=2).select_tags(tags) == ["1.0.9", "1.0.10"]
    assert Selection(tags=("v*", "1.1")).select_tags(tags) == ["1.1", "v2", "v10"]
    assert Selection(newest=1).select_tags(["1.0.9", "1.0.10"]) == ["1.0.10"]
    pick = Selection(repos=("hc-*",))
    assert pick.repository("hc-devcon", "connectedhome/hc-devcon")
    assert not pick.repository("web", "connectedhome/web")
    assert Selection(repos=("connectedhome/w*",)).repository("web", "connectedhome/web")
    with pytest.raises(InvalidInput, match="--newest"):
        Selection(newest=0)


@pytest.mark.parametrize("glob", ["[", "v[1-", "a[!", "[]", "[!]", "", "  "])
def test_a_glob_that_matches_no_name_is_refused(glob: str) -> None:
    with pytest.raises(InvalidInput, match=r"invalid --tag .*(not closed|empty pattern)"):
        Selection(tags=(glob,))
    with pytest.raises(InvalidInput, match="invalid --repo"):
        Selection(repos=(glob,))


@pytest.mark.parametrize("glob", ["[]]", "[!]]", "v[0-9]*", "*", "1.?", "[a-c]x"])
def test_closed_brackets_are_globs_as_fnmatch_reads_them(glob: str) -> None:
    Selection(tags=(glob,), repos=(glob,))


@pytest.mark.parametrize(
    ("source", "dest", "inside"),
    [
        ("r:5000/team/", "r:5000/team/", True),
        ("r:5000/team/", "r:5000/team/mirror/", True),
        ("r:5000/", "r:5000/backup/", True),
        ("r:5000/team/app", "r:5000/team/app", True),
        ("r:5000/team/app", "r:5000/team/", True),
        ("r:5000/team/", "r:5000/team-copy/", False),
        ("r:5000/team/", "r:5000/", False),  # above: team/app -> app, never listed again
        ("r:5000/team/app", "r:5000/other/", False),
        ("r:5000/team/", "q:5000/team/", False),  # another registry
    ],
)
def test_dest_may_not_be_source_or_lie_inside_it(source: str, dest: str, inside: bool) -> None:
    src, dst = parse_repositories(source), parse_repositories(dest)
    if inside:
        with pytest.raises(InvalidInput, match="outside SOURCE"):
            check_apart(src, dst)
    else:
        check_apart(src, dst)


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ('</v2/_catalog?last=b&n=2>; rel="next"', "/v2/_catalog?last=b&n=2"),
        ("</v2/x/tags/list?n=2&last=1.0>; rel=next", "/v2/x/tags/list?n=2&last=1.0"),
        ('<https://r.example/v2/_catalog?p=1>; rel="prev", </v2/_catalog?p=3>; rel="next"',
         "/v2/_catalog?p=3"),
        ('</v2/_catalog?p=3>; title="x"; rel="last next"', "/v2/_catalog?p=3"),
        ('</v2/_catalog?p=1>; rel="prev"', None),
        ("", None),
        (None, None),
    ],
)  # fmt: skip
def test_link_header_next(header: str | None, target: str | None) -> None:
    assert next_link(header) == target


class FakeResponse:
    def __init__(self, doc: Any, link: str | None = None, raw: bytes | None = None) -> None:
        self.body = raw if raw is not None else json.dumps(doc).encode()
        self.headers = {"Link": link} if link else {}
        self.status = 200

    def read(self, amt: int | None = None, decode_content: bool = False) -> bytes:
        data, self.body = self.body[:amt], self.body[amt:] if amt else b""
        return data

    @property
    def data(self) -> bytes:
        return self.read()

    def release_conn(self) -> None:
        pass


class FakeRegistry:
    """``request`` answers from a dict of path -> response; records what was asked."""

    def __init__(self, pages: dict[str, FakeResponse]) -> None:
        self.base, self.label, self.pages, self.asked = "http://r.test:5000", "r.test", pages, []

    def request(self, method: str, path: str, **_: Any) -> FakeResponse:
        self.asked.append(path)
        return self.pages[path]


def test_listing_pages_follow_link_headers_to_the_end() -> None:
    registry = FakeRegistry({
        "/v2/_catalog?n=2": FakeResponse({"repositories": ["a", "b"]}, '</v2/_catalog?last=b&n=2>; rel="next"'),
        "/v2/_catalog?last=b&n=2": FakeResponse({"repositories": ["c"]}, '<http://r.test:5000/v2/_catalog?last=c&n=2>; rel="next"'),
        "/v2/_catalog?last=c&n=2": FakeResponse({"repositories": []}),
    })  # fmt: skip
    pages = list(paged(registry, "/v2/_catalog?n=2", "repositories", "_catalog"))  # type: ignore[arg-type]
    assert pages == [["a", "b"], ["c"], []]
    assert registry.asked == [
        "/v2/_catalog?n=2",
        "/v2/_catalog?last=b&n=2",
        "/v2/_catalog?last=c&n=2",
    ]


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ({"/p": FakeResponse({"tags": ["a"]}, '<http://elsewhere.test/p2>; rel="next"')}, "another host"),
        ({"/p": FakeResponse({"tags": ["a"]}, '</p>; rel="next"')}, "circle"),
        ({"/p": FakeResponse(None, raw=b"<html>")}, "other than JSON"),
        ({"/p": FakeResponse({"tags": [1, 2]})}, "malformed"),
        ({"/p": FakeResponse(None, raw=b'{"tags": []}' + b" " * (9 << 20))}, "MiB a page"),
    ],
)  # fmt: skip
def test_a_hostile_listing_is_one_error(pages: dict[str, FakeResponse], message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        list(paged(FakeRegistry(pages), "/p", "tags", "tags"))  # type: ignore[arg-type]


class FakePool:
    def __init__(self, answers: dict[tuple[str, str], tuple[int, Any]]) -> None:
        self.answers, self.sent = answers, []

    def request(self, method: str, url: str, *, headers: dict[str, str], **kw: Any) -> Any:
        # What connections.Pool sends: the headers, and an Authorization only as ``auth``
        # gives it to that origin (one put in ``headers`` is dropped).
        sent = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        auth = kw.get("auth")
        if auth is not None and url.startswith(auth[0] + "/"):
            sent["Authorization"] = auth[1]
        self.sent.append((method, url, sent))
        status, doc = self.answers[(method, url)]
        response = FakeResponse(doc)
        response.status = status
        return response


def test_docker_hub_namespace_pages_with_a_token_for_private_repositories() -> None:
    api = "https://hub.test"
    first = f"{api}/v2/namespaces/connectedhome/repositories?page_size=100"
    second = f"{api}/v2/namespaces/connectedhome/repositories?page=2&page_size=100"
    pool = FakePool({
        ("POST", f"{api}/v2/auth/token"): (200, {"access_token": "jwt"}),
        ("GET", first): (200, {"count": 3, "next": second, "previous": None,
                               "results": [{"name": "hc-a"}, {"name": "hc-b"}]}),
        ("GET", second): (200, {"count": 3, "next": None, "previous": first,
                                "results": [{"name": "web"}]}),
    })  # fmt: skip
    hub = HubApi(api, credentials=lambda: ("me", "dckr_pat_x"), pool=pool)  # type: ignore[arg-type]
    names = hub.repositories("connectedhome")
    assert names == ["connectedhome/hc-a", "connectedhome/hc-b", "connectedhome/web"]
    assert [h.get("Authorization") for m, _, h in pool.sent if m == "GET"] == ["Bearer jwt"] * 2


def test_docker_hub_refuses_a_next_page_on_another_host() -> None:
    api = "https://hub.test"
    first = f"{api}/v2/namespaces/ns/repositories?page_size=100"
    pool = FakePool({("GET", first): (200, {"next": "https://evil.test/p2", "results": []})})
    with pytest.raises(RegistryError, match="another host"):
        HubApi(api, pool=pool).repositories("ns")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "said"),
    [({"access_token": "a\r\nX-Evil: 1"}, "CR/LF"), ({"access_token": 7}, "no token"),
     ({}, "no token")],
)  # fmt: skip
def test_a_docker_hub_token_unfit_for_a_header_is_one_error(answer: Any, said: str) -> None:
    api = "https://hub.test"
    pool = FakePool({("POST", f"{api}/v2/auth/token"): (200, answer)})
    hub = HubApi(api, credentials=lambda: ("me", "pat"), pool=pool)  # type: ignore[arg-type]
    with pytest.raises(BadAnswer, match=f"Docker Hub API: the token answer holds .*{said}"):
        hub.repositories("ns")


@pytest.mark.parametrize("results", [5, {"name": "x"}, True])
def test_docker_hub_results_that_are_not_a_list_are_one_error(results: Any) -> None:
    api = "https://hub.test"
    first = f"{api}/v2/namespaces/ns/repositories?page_size=100"
    pool = FakePool({("GET", first): (200, {"next": None, "results": results})})
    with pytest.raises(BadAnswer, match="the results of ns are not a list"):
        HubApi(api, pool=pool).repositories("ns")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("97;w=21600", (97, 21600)), ("100", (100, None)), (" 0 ; w=60", (0, 60)), ("x", None),
     (None, None)],
)  # fmt: skip
def test_ratelimit_headers(value: str | None, parsed: Any) -> None:
    assert parse_ratelimit(value) == parsed


def test_pull_guard_stops_new_pulls_at_the_reserve_and_says_when_to_rerun() -> None:
    guard = PullGuard(reserve=2, clock=lambda: 1_700_000_000)
    assert not guard.near
    guard.observe({})  # a registry without a limit
    assert not guard.near
    guard.observe({"ratelimit-limit": "100;w=21600", "ratelimit-remaining": "3;w=21600"})
    assert not guard.near
    guard.observe({"ratelimit-remaining": "5;w=21600"})  # an older answer, arriving late
    assert guard.remaining == 3
    guard.observe({"ratelimit-remaining": "2;w=21600"})
    assert guard.near
    assert guard.advice(12) == (
        "the registry's pull limit is reached (2 of 100 pulls left in a 6 h window): 12 image(s) "
        "not started; pulls free up as the window slides: run the same command again later "
        "(by 2023-11-15 04:13 UTC at the latest)"
    )
    other = PullGuard(reserve=0)
    other.exhausted()
    assert other.near
    assert is_rate_limited(RegistryError("x", status=429, code="TOOMANYREQUESTS"))
    assert not is_rate_limited(RegistryError("x", status=500))


def test_blob_cache_one_uploader_the_others_wait_then_mount() -> None:
    cache = BlobCache(mountable=True)
    mine, waits = cache.claim("a", ["base", "own-a"])
    assert (mine, waits) == (["base", "own-a"], {})
    theirs, waits = cache.claim("b", ["base", "own-b"])
    assert theirs == ["own-b"] and list(waits) == ["base"] and not waits["base"].is_set()
    cache.add("base", "a")  # a's upload of base finished
    assert waits["base"].is_set()
    assert cache.mount_source("base", "b") == "a"
    assert cache.claim("c", ["base"]) == ([], {})  # known: c mounts it, nobody sends it
    cache.release("a", mine)  # a's copy ended; own-a never came
    assert cache.claim("d", ["own-a"])[0] == ["own-a"]


def test_blob_cache_without_mounts_shares_only_within_a_repository() -> None:
    cache = BlobCache(mountable=False)
    assert cache.claim("a", ["base"])[0] == ["base"]
    assert cache.claim("b", ["base"])[0] == ["base"]  # b cannot mount from a: it sends too
    waiting = cache.claim("a", ["base"])[1]
    cache.release("a", ["base"])  # a's upload failed: the waiter goes on and sends it itself
    assert waiting["base"].is_set() and not cache.present("base", "a")
    cache.add("base", "b")
    assert cache.mount_source("base", "a") is None and cache.present("base", "b")


def test_blob_cache_waits_end_across_threads() -> None:
    cache = BlobCache(mountable=True)
    cache.claim("a", ["base"])
    _, waits = cache.claim("b", ["base"])
    done = threading.Event()

    def waiter() -> None:
        waits["base"].wait()
        done.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    cache.add("base", "a")
    thread.join(timeout=30)
    assert done.is_set() and cache.mount_source("base", "b") == "a"


def test_one_mount_at_a_time_per_blob_and_repository() -> None:
    # docker-registry's filesystem storage rewrites a blob's link in place: two images mounting
    # one layer into one repository at once (or a HEAD meanwhile) may find it empty.
    cache = BlobCache(mountable=True)
    cache.add("base", "a")
    assert cache.begin_mount("base", "b") is None  # this image mounts it
    other = cache.begin_mount("base", "b")
    assert other is not None and not other.is_set()  # another one waits for that mount
    assert cache.placing("base", "b") is other  # and so does a HEAD of it in b
    assert cache.begin_mount("base", "c") is None  # another repository: no wait
    cache.add("base", "b")  # mounted
    assert other.is_set() and cache.placing("base", "b") is None
    cache.end_mount("base", "c")  # a mount that failed ends too
    assert cache.begin_mount("base", "c") is None


def test_a_head_waits_for_an_upload_into_its_own_repository_only() -> None:
    cache = BlobCache(mountable=True)
    cache.claim("a", ["own"])
    assert cache.placing("own", "a") is not None
    assert cache.placing("own", "b") is None  # b asks the registry (it will mount later)
    cache.release("a", ["own"])
    assert cache.placing("own", "a") is None

"""What push and pull share: a registry token for the docker engine, its progress on stderr,
the result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

from ecrctl.cli.common import AppState, say
from ecrctl.cli.output import View
from ecrctl.cli.progress import Reporter
from ecrctl.core.names import Reference

if TYPE_CHECKING:
    from ecrctl.core.images.transfer import Event
    from ecrctl.core.jsontypes import JsonObject
    from ecrctl.core.login.targets import RegistryToken
    from ecrctl.session import Clients

T = TypeVar("T")


def registry_token(clients: Clients, ref: Reference) -> RegistryToken:
    """A token for the image's registry, handed to the engine (no config file is touched)."""
    from ecrctl import tokens
    from ecrctl.core.login.targets import TokenRequest

    account = ref.registry.account if ref.registry else clients.settings.registry_id
    host = str(ref.registry) if ref.registry else None
    request = TokenRequest(
        profile=clients.settings.profile,
        region=ref.registry.region if ref.registry else clients.region,
        fips=bool(ref.registry and ref.registry.fips),
        registry_ids=(account,) if account else (),
        hosts={account: host} if account and host else {},
    )
    return tokens.fetch(clients.settings, request)[0]


FINISHED = {"Pushed", "Layer already exists", "Pull complete", "Already exists"}


class LayerProgress:
    """The engine's per-layer events as progress: a bar per layer on a terminal (stdin and
    stderr both one), one stderr line per layer step otherwise."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self.bars = reporter.bars()
        self._seen: set[tuple[str, str]] = set()

    def __enter__(self) -> LayerProgress:
        self.bars.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.__exit__(*exc)

    def __call__(self, event: Event) -> None:
        layer = str(event.get("id") or "")
        status = str(event.get("status") or "")
        if not layer or not status:
            return
        if not self.bars.live:
            step = status.split(" ", 1)[0]
            if (layer, step) not in self._seen and not event.get("progressDetail"):
                self._seen.add((layer, step))
                self.reporter.say(f"{layer}: {status}")
            return
        found = event.get("progressDetail")
        detail = found if isinstance(found, Mapping) else {}
        total, current = _count(detail.get("total")), _count(detail.get("current", 0))
        self.bars.update(
            layer,
            f"{layer} {status}",
            completed=current if total else None,
            total=total or None,
        )
        if status in FINISHED:
            self.bars.finish(layer)


def _count(value: object) -> int | None:
    """A byte count of an engine event (the engine sends integers)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def run_engine(
    app_state: AppState,
    action: Callable[..., T],
    *args: object,
    ref: Reference,
    clients: Clients,
    announce: Callable[[str], str],
    **kwargs: object,
) -> T:
    """Run ``transfer.push`` / ``transfer.pull`` for ``ref`` with a fresh registry token,
    announced on stderr, with per-layer progress."""
    token = registry_token(clients, ref)
    repository_uri = f"{token.host}/{ref.repository}"
    say(announce(repository_uri))
    reporter = Reporter(app_state.streams, live=app_state.streams.interactive)
    with LayerProgress(reporter) as progress:
        return action(
            *args,
            repository_uri=repository_uri,
            host=token.host,
            username=token.username,
            password=token.password,
            on_event=progress,
            **kwargs,
        )


def emit(app_state: AppState, doc: JsonObject) -> None:
    app_state.emit(
        View.record(
            doc,
            [("uri", "uri"), ("digest", "digest"), ("size", "sizeBytes")],
        )
    )

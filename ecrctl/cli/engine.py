"""What push and pull share: a registry token for the docker engine, its progress on stderr,
the result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecrctl.cli.common import AppState, interactive, say
from ecrctl.cli.output import View
from ecrctl.core.refs import ImageRef

if TYPE_CHECKING:
    from ecrctl.core.login.targets import RegistryToken
    from ecrctl.session import Clients


def registry_token(clients: Clients, ref: ImageRef) -> RegistryToken:
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


class Progress:
    """Per-layer progress on stderr: rich bars on a terminal, one line per layer step otherwise."""

    def __init__(self, color: bool) -> None:
        self.live = interactive()
        self._seen: set[tuple[str, str]] = set()
        self._tasks: dict[str, Any] = {}
        self._progress: Any = None
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                console=Console(stderr=True, no_color=not color),
                transient=False,
            )

    def __enter__(self) -> Progress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, event: dict[str, Any]) -> None:
        layer = str(event.get("id") or "")
        status = str(event.get("status") or "")
        if not layer or not status:
            return
        if self._progress is None:
            step = status.split(" ", 1)[0]
            if (layer, step) not in self._seen and not event.get("progressDetail"):
                self._seen.add((layer, step))
                say(f"{layer}: {status}")
            return
        detail = event.get("progressDetail") or {}
        task = self._tasks.get(layer)
        if task is None:
            task = self._progress.add_task(f"{layer} {status}", total=None)
            self._tasks[layer] = task
        total = detail.get("total")
        self._progress.update(
            task,
            description=f"{layer} {status}",
            completed=detail.get("current", 0) if total else None,
            total=total or None,
        )
        if status in {"Pushed", "Layer already exists", "Pull complete", "Already exists"}:
            done = self._progress.tasks[task].total or 1
            self._progress.update(task, total=done, completed=done)


def emit(app_state: AppState, doc: dict[str, Any]) -> None:
    app_state.emit(
        View.record(
            doc,
            [("uri", "uri"), ("digest", "digest"), ("size", "sizeBytes")],
        )
    )

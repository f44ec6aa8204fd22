"""ecrctl push LOCAL_IMAGE REPO[:TAG] [--create] / ecrctl pull REPO[:TAG|@DIGEST]."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ecrctl.cli.common import AppState, interactive, say, state
from ecrctl.cli.completion import complete_repository
from ecrctl.cli.output import View, human_size
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.refs import ImageRef, validate_tag

if TYPE_CHECKING:
    from ecrctl.core.auth import RegistryToken
    from ecrctl.session import Clients


def _token(clients: Clients, ref: ImageRef) -> RegistryToken:
    """A token for the image's registry, handed to the engine (no config file is touched)."""
    from ecrctl import tokens
    from ecrctl.core.auth import TokenRequest

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


class _Progress:
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

    def __enter__(self) -> _Progress:
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


def _emit(app_state: AppState, doc: dict[str, Any]) -> None:
    app_state.emit(
        View.record(
            doc,
            [("uri", "uri"), ("digest", "digest"), ("size", "sizeBytes")],
        )
    )


def push(
    ctx: typer.Context,
    local_image: Annotated[
        str, typer.Argument(metavar="LOCAL_IMAGE", help="A local image (name[:tag] or id).")
    ],
    repo: Annotated[
        str,
        typer.Argument(
            metavar="REPO[:TAG]",
            help="ECR repository (or full URI); TAG defaults to the local tag, else latest.",
            autocompletion=complete_repository,
        ),
    ],
    create: Annotated[
        bool, typer.Option("--create", help="Create the repository first if it does not exist.")
    ] = False,
) -> None:
    """Push a local image to ECR through the docker engine, with progress per layer."""
    from ecrctl.core import transfer

    app_state = state(ctx)
    ref, clients = app_state.target(repo)
    if ref.digest:
        raise InvalidInput("push to a tag (REPO:TAG), not a digest")
    tag = ref.tag or transfer.local_tag(local_image) or "latest"
    validate_tag(tag)
    client = transfer.engine()  # before any AWS call: no engine, no point
    if create:
        from ecrctl.core.repos import RepositoryService

        _, created = RepositoryService(clients.ecr(), clients.settings.registry_id).create(
            ref.repository, exist_ok=True
        )
        if created:
            say(f"created repository {ref.repository}")
    token = _token(clients, ref)
    repository_uri = f"{token.host}/{ref.repository}"
    say(f"pushing {local_image} to {repository_uri}:{tag}")
    with _Progress(app_state.color) as progress:
        result = transfer.push(
            client,
            local_image,
            repository_uri=repository_uri,
            tag=tag,
            host=token.host,
            username=token.username,
            password=token.password,
            on_event=progress,
        )
    size = f" ({human_size(result.size_bytes)} manifest)" if result.size_bytes else ""
    say(f"pushed {result.uri} {result.digest or ''}{size}".rstrip())
    _emit(app_state, result.to_json())


def pull(
    ctx: typer.Context,
    ref_text: Annotated[
        str,
        typer.Argument(
            metavar="REPO[:TAG|@DIGEST]",
            help="ECR repository (or full URI) and tag or digest (default tag: latest).",
            autocompletion=complete_repository,
        ),
    ],
) -> None:
    """Pull an image from ECR into the docker engine, with progress per layer."""
    from ecrctl.core import transfer

    app_state = state(ctx)
    ref, clients = app_state.target(ref_text)
    reference = ref.reference or ":latest"
    client = transfer.engine()
    token = _token(clients, ref)
    repository_uri = f"{token.host}/{ref.repository}"
    say(f"pulling {repository_uri}{reference}")
    with _Progress(app_state.color) as progress:
        result = transfer.pull(
            client,
            repository_uri=repository_uri,
            reference=reference,
            host=token.host,
            username=token.username,
            password=token.password,
            on_event=progress,
        )
    say(f"pulled {result.uri}")
    _emit(app_state, result.to_json())


def register(app: typer.Typer) -> None:
    app.command("push")(push)
    app.command("pull")(pull)

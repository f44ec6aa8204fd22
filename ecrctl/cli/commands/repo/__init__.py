"""ecrctl repo create|list|show|set|remove."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ecrctl.cli.commands.repo import policy
from ecrctl.cli.commands.repo.policy import pull_summary
from ecrctl.cli.common import FleetOptions, confirm, grouped, json_list, say, state
from ecrctl.cli.completion import complete_repository
from ecrctl.cli.output import Column, View, cell, date_only, short_time
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import Refused
from ecrctl.core.models import Repository, RepositoryDetailsJson, human_size
from ecrctl.core.names import without_reference
from ecrctl.core.repos.repositories import RepositoryService

app = typer.Typer(help="Create, list, show, change and remove repositories.", no_args_is_help=True)

# At 80 columns: the date loses its time, then the URI goes (`ecrctl uri NAME` prints it),
# then the creation date; names and mutability are cut with an ellipsis.
LIST_COLUMNS = (
    Column("name", min_width=16),
    Column("uri", drop=1),
    Column("mutability", min_width=9),
    Column("scan on push"),
    Column("created", compact=date_only, drop=2),
)


def _except_option(mutability: str, example: str) -> Any:
    """--immutable-except or --mutable-except: that mutability, but for tags like PATTERN."""
    return typer.Option(
        f"--{mutability.lower()}-except",
        metavar="PATTERN",
        help=f"{mutability} tags, except those matching PATTERN "
        f"('{example}'; repeatable, up to 5).",
    )


ImmutableExcept = Annotated[list[str] | None, _except_option("Immutable", "dev-*")]
MutableExcept = Annotated[list[str] | None, _except_option("Mutable", "v*")]

RepoArg = Annotated[
    str,
    typer.Argument(
        metavar="NAME", help="Repository name or URI.", autocompletion=complete_repository
    ),
]


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Repository name or URI.")],
    immutable: Annotated[
        bool, typer.Option("--immutable", help="Tags cannot be moved once pushed.")
    ] = False,
    immutable_except: ImmutableExcept = None,
    mutable_except: MutableExcept = None,
    scan_on_push: Annotated[
        bool, typer.Option("--scan-on-push", help="Scan each image when it is pushed.")
    ] = False,
    kms_key: Annotated[
        str | None, typer.Option("--kms-key", metavar="ARN", help="Encrypt with this KMS key.")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", metavar="KEY=VALUE", help="Resource tag (repeatable)."),
    ] = None,
    exist_ok: Annotated[
        bool, typer.Option("--exist-ok", help="Succeed if the repository already exists.")
    ] = False,
    lifecycle: Annotated[
        str | None,
        typer.Option(
            "--lifecycle", metavar="FILE", help="Apply this lifecycle policy (checked first)."
        ),
    ] = None,
) -> None:
    """Create a repository and print its URI."""
    from ecrctl.cli.policyfile import load_policy

    policy = load_policy(lifecycle) if lifecycle else None
    app_state = state(ctx)
    ref, clients = app_state.target(name, allow_reference=False)
    service = RepositoryService(EcrRegistry(clients.ecr(), clients.settings.registry_id))
    repository, created = service.create(
        ref.repository,
        immutable=immutable,
        immutable_except=immutable_except or [],
        mutable_except=mutable_except or [],
        scan_on_push=scan_on_push,
        kms_key=kms_key,
        tags=tag or [],
        exist_ok=exist_ok,
        lifecycle_policy=policy,
    )
    if not created:
        say(f"repository {repository.name} already exists")
        if policy is not None:
            say("its lifecycle policy was left as it is (use ecrctl lifecycle put to change it)")
    app_state.emit(
        View(
            doc={**repository.to_json(), "created": created},
            rows=[[repository.uri]],
            text=[[repository.uri]],
        )
    )


@app.command("list")
@grouped
def list_(
    ctx: typer.Context,
    prefix: Annotated[
        str | None, typer.Option("--prefix", metavar="P", help="Only names starting with P.")
    ] = None,
    immutable: Annotated[
        str | None,
        typer.Option(
            "--immutable",
            metavar="true|false",
            help="Only repositories whose tags are immutable (true) or mutable (false).",
        ),
    ] = None,
    no_lifecycle_policy: Annotated[
        bool,
        typer.Option(
            "--no-lifecycle-policy",
            help="Only repositories without a lifecycle policy (one call each).",
        ),
    ] = False,
    fleet_options: FleetOptions = FleetOptions(),
) -> None:
    """List repositories (names only in text output, one a line)."""
    from ecrctl.core.repos.filters import RepositoryFilter, parse_boolean

    wanted_filter = RepositoryFilter(parse_boolean(immutable, "--immutable"), no_lifecycle_policy)
    app_state = state(ctx)

    def listed(registry: EcrRegistry) -> list[Repository]:
        found = RepositoryService(registry).list_all(prefix)
        return wanted_filter.apply(registry, found)

    if fleet_options.wanted:
        from ecrctl.cli import fleet

        fleet.emit_each(
            app_state, fleet_options, lambda c, region: listed(c.access.registry(region)), list_view
        )
        return
    clients = app_state.clients()
    repos = listed(EcrRegistry(clients.ecr(), clients.settings.registry_id))
    app_state.emit(list_view(repos))


def list_view(repos: list[Repository]) -> View:
    return View(
        doc=json_list(repos),
        headers=tuple(c.header for c in LIST_COLUMNS),
        columns=LIST_COLUMNS,
        rows=[
            [
                r.name,
                r.uri,
                r.mutability,
                cell(r.scan_on_push),
                short_time(r.to_json()["createdAt"]),
            ]
            for r in repos
        ],
        text=[[r.name] for r in repos],
    )


class ShownRepository(RepositoryDetailsJson):
    mayPull: str  # who may pull besides the repository's account (its repository policy)


@app.command("show")
def show(ctx: typer.Context, name: RepoArg) -> None:
    """Settings, image count, total size, and whether policies exist."""
    app_state = state(ctx)
    ref, clients = app_state.target(without_reference(name), allow_reference=False)
    details = RepositoryService(EcrRegistry(clients.ecr(), clients.settings.registry_id)).show(
        ref.repository
    )
    may_pull = (
        pull_summary(clients, ref.repository)
        if details.has_repository_policy
        else ("own account only")
    )
    doc: ShownRepository = {**details.to_json(), "mayPull": may_pull}
    view = View.record(
        doc,
        [
            ("name", "name"),
            ("uri", "uri"),
            ("arn", "arn"),
            ("created", "createdAt"),
            ("tag mutability", "tagMutability"),
            ("except tags", "tagMutabilityExceptions"),
            ("scan on push", "scanOnPush"),
            ("encryption", "encryption"),
            ("kms key", "kmsKey"),
            ("images", "imageCount"),
            ("total size", "totalSizeBytes"),
            ("lifecycle policy", "lifecyclePolicy"),
            ("repository policy", "repositoryPolicy"),
            ("tags", "tags"),
        ],
    )
    size = details.total_size_bytes
    view.rows[10][1] = f"{human_size(size)} ({size} bytes)"

    view.rows.append(["may pull", may_pull])
    assert view.text is not None
    view.text.append(["mayPull", may_pull])
    app_state.emit(view)


@app.command("set")
def set_(
    ctx: typer.Context,
    name: RepoArg,
    immutable: Annotated[
        bool | None,
        typer.Option("--immutable/--mutable", help="Tag mutability.", show_default=False),
    ] = None,
    immutable_except: ImmutableExcept = None,
    mutable_except: MutableExcept = None,
    no_except: Annotated[
        bool, typer.Option("--no-except", help="Drop the tag mutability exceptions.")
    ] = False,
    scan_on_push: Annotated[
        bool | None,
        typer.Option("--scan-on-push/--no-scan-on-push", help="Scan on push.", show_default=False),
    ] = None,
) -> None:
    """Change tag mutability (and its exceptions) or scan on push; exceptions are kept unless
    replaced (--immutable-except, --mutable-except) or dropped (--no-except)."""
    app_state = state(ctx)
    ref, clients = app_state.target(name, allow_reference=False)
    repository = RepositoryService(EcrRegistry(clients.ecr(), clients.settings.registry_id)).set(
        ref.repository,
        immutable=immutable,
        immutable_except=immutable_except or [],
        mutable_except=mutable_except or [],
        no_except=no_except,
        scan_on_push=scan_on_push,
    )
    doc = repository.to_json()
    app_state.emit(
        View.record(
            doc,
            [
                ("name", "name"),
                ("tag mutability", "tagMutability"),
                ("except tags", "tagMutabilityExceptions"),
                ("scan on push", "scanOnPush"),
            ],
        )
    )


@app.command("remove")
def remove(
    ctx: typer.Context,
    names: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME...", help="Repositories to remove.", autocompletion=complete_repository
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Also remove the images they hold.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed; change nothing.")
    ] = False,
) -> None:
    """Remove repositories; a non-empty one only with --force."""
    app_state = state(ctx)
    targets = [app_state.target(n, allow_reference=False) for n in names]
    plans = [
        RepositoryService(EcrRegistry(clients.ecr(), clients.settings.registry_id)).plan_removal(
            [ref.repository], force=force
        )[0]
        for ref, clients in targets
    ]
    refused = [p for p in plans if not p.allowed]
    for plan in refused:
        say(f"refusing to remove {plan.name}: {plan.reason}")
    if refused:
        raise Refused(
            f"{len(refused)} of {_count(len(plans), 'repository', 'repositories')} not removed; "
            "nothing changed"
        )
    action = "would remove" if dry_run else "removed"
    view = View(
        doc=[{**p.to_json(), "removed": not dry_run} for p in plans],
        headers=("repository", "images", "size", "action"),
        rows=[[p.name, str(p.image_count), human_size(p.size_bytes), action] for p in plans],
        # A dry run says what it would remove (images, bytes); a removal, what it removed.
        text=[
            [p.name, str(p.image_count), str(p.size_bytes), action] if dry_run else [p.name]
            for p in plans
        ],
    )
    if dry_run:
        say("dry run: nothing changed")
        app_state.emit(view)
        return
    images = sum(p.image_count for p in plans)
    confirm(
        f"Remove {_count(len(plans), 'repository', 'repositories')} "
        f"({_count(images, 'image', 'images')})?",
        yes=yes,
    )
    for (ref, clients), _plan in zip(targets, plans, strict=True):
        RepositoryService(EcrRegistry(clients.ecr(), clients.settings.registry_id)).remove(
            ref.repository, force=force
        )
    app_state.emit(view)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def register(root: typer.Typer) -> None:
    policy.register(app)
    root.add_typer(app, name="repo")

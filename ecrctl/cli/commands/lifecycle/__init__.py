"""ecrctl lifecycle validate|preview|put|get|delete: check a policy before it deletes anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.commands.lifecycle.view import affected_view, rule_of, summary, tags_of
from ecrctl.cli.common import AppState, Consent, RepoArg, confirm, grouped, say, state
from ecrctl.cli.output import View, short_time
from ecrctl.cli.policyfile import load_policy, read_text
from ecrctl.cli.progress import Reporter, StatusLine
from ecrctl.cli.values import finite
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import without_reference

if TYPE_CHECKING:  # the lifecycle core is imported by the commands, not by --help
    from ecrctl.core.jsontypes import JsonObject
    from ecrctl.core.lifecycle.evaluate import Decision, Evaluation
    from ecrctl.core.lifecycle.model import Policy
    from ecrctl.core.lifecycle.preview import LifecycleService

app = typer.Typer(
    help="Validate, preview (offline or on AWS), put, show and delete lifecycle policies.",
    no_args_is_help=True,
)


def _unread(repository: str, unread: tuple[str, ...]) -> None:
    if unread:
        count = len(unread)
        say(
            f"ecrctl: warning: {count} index manifest{'s' * (count != 1)} in {repository} could "
            "not be read (archived indexes cannot be pulled); the images they reference may be "
            "shown as expiring although ECR keeps them"
        )


def _service(app_state: AppState, repo: str) -> tuple[str, LifecycleService]:
    from ecrctl.core.lifecycle.preview import LifecycleService

    # A pasted image URI names its repository; the tag does not matter to a policy.
    ref, clients = app_state.target(without_reference(repo), allow_reference=False)
    return ref.repository, LifecycleService(
        EcrRegistry(clients.ecr(), clients.settings.registry_id)
    )


@app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="Policy JSON file, or - for stdin.")],
) -> None:
    """Check a policy as ECR would, listing every problem (exit 2 when invalid)."""
    from ecrctl.core.lifecycle.validate import check_policy

    app_state = state(ctx)
    text, source = read_text(file)
    policy, problems = check_policy(text)
    doc: JsonObject = {
        "file": source,
        "valid": policy is not None,
        "rules": len(policy.rules) if policy is not None else None,
        "problems": [p.to_json() for p in problems],
    }
    if policy is not None:
        count = len(policy.rules)
        line = f"{source}: a valid lifecycle policy ({count} rule{'s' if count != 1 else ''})"
        app_state.emit(View.lines(doc, [line]))
        return
    app_state.emit(
        View(
            doc=doc,
            headers=("where", "problem"),
            rows=[[p.where, p.message] for p in problems],
            text=[[source, p.where, p.message] for p in problems],
        )
    )
    count = len(problems)
    raise InvalidInput(f"{source}: invalid lifecycle policy ({count} problem{'s' * (count != 1)})")


def _previewing(repository: str, status: StatusLine) -> Callable[[str, float], None]:
    """AWS's preview status as it changes, on the status line (--remote)."""

    def report(preview_status: str, elapsed: float) -> None:
        message = f"AWS lifecycle policy preview of {repository}: {preview_status}"
        status.update(f"{message} ({elapsed:.0f} s)", state=preview_status)

    return report


@app.command("preview")
def preview(
    ctx: typer.Context,
    repo: RepoArg,
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            metavar="FILE",
            help="Preview this policy (- for stdin) instead of the repository's current one.",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="DATE",
            help="Evaluate as of DATE (2026-07-01, an ISO time, or +7d / +2w / +12h), "
            "assuming no new pushes or pulls. Local only.",
        ),
    ] = None,
    remote: Annotated[
        bool,
        typer.Option("--remote", help="Run AWS's own preview (start, poll, page) instead."),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", metavar="SECONDS", min=1, callback=finite, help="How long --remote waits."
        ),
    ] = 600.0,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="With --remote: also evaluate locally and list every image on which the two "
            "previews differ (JSON: differences).",
        ),
    ] = False,
) -> None:
    """Show which images a policy would expire or transition, by which rule, and what is kept.

    Text output: one line per affected image: digest, tags (comma-separated, - when untagged),
    rule priority, action (expire, transition; expire-later / transition-later for an image
    that an index expired in the same pass references: it goes on a later evaluation).
    An image that a kept index (manifest list) references is kept.
    """
    from ecrctl.core.lifecycle.evaluate import parse_at
    from ecrctl.core.models import iso

    app_state = state(ctx)
    candidate = load_policy(policy) if policy else None
    repository, service = _service(app_state, repo)
    label = policy if policy else "current"
    if compare and not remote:
        raise InvalidInput("--compare compares AWS's preview with the local one: add --remote")
    if remote:
        if at is not None:
            raise InvalidInput("--at is for the local preview: AWS's preview evaluates now")
        reporter = Reporter(app_state.streams)
        with reporter.status(f"starting the preview of {repository}") as status:
            result = service.remote_preview(
                repository, candidate, timeout=timeout, on_status=_previewing(repository, status)
            )
        doc: JsonObject = {
            "repository": repository,
            "source": "remote",
            "policy": label,
            **result.to_json(),
        }
        say(f"{repository} (AWS preview): {summary(result.affected, None)}")
        if compare:
            doc["differences"] = _differences(service, repository, candidate, result.affected)
        app_state.emit(affected_view(doc, f"{repository} (AWS preview)", result.affected))
        return
    when = parse_at(at, datetime.now(UTC))
    evaluation = _evaluate(service, repository, candidate, when)
    doc = {"repository": repository, "source": "local", "policy": label, **evaluation.to_json()}
    title = f"{repository} at {short_time(iso(when))} UTC"
    say(f"{title}: {summary(evaluation.affected, evaluation.kept, evaluation.later)}")
    shown = (evaluation.affected, evaluation.later, evaluation.kept)
    app_state.emit(affected_view(doc, title, *shown))


def _evaluate(
    service: LifecycleService, repository: str, candidate: Policy | None, at: datetime
) -> Evaluation:
    """The policy (None: the current one) on the repository's images at ``at``; a warning
    first when index manifests could not be read."""
    from ecrctl.core.lifecycle.change import evaluate_on

    evaluated = evaluate_on(service, repository, candidate, at)
    _unread(repository, evaluated.unread)
    return evaluated.evaluation


def _differences(
    service: LifecycleService, repository: str, candidate: Policy | None, remote: list[Decision]
) -> list[JsonObject]:
    """The local evaluation of the same policy now, against AWS's answer: each difference on
    stderr, all of them for the JSON document."""
    from ecrctl.core.lifecycle.compare import differences

    evaluation = _evaluate(service, repository, candidate, datetime.now(UTC))
    found = differences(remote, evaluation)
    plural = "s" * (len(found) != 1)
    verdict = f"differ on {len(found)} image{plural}:" if found else "agree"
    say(f"{repository}: AWS's preview and the local one {verdict}")
    for item in found:
        tags = ",".join(item.tags) if item.tags else "-"
        why = f" (referenced by {', '.join(item.referenced_by)})" if item.referenced_by else ""
        say(f"  {item.digest}  {tags}  AWS: {item.remote}, local: {item.local}{why}")
    return [item.to_json() for item in found]


@app.command("put")
@grouped
def put(
    ctx: typer.Context,
    repo: RepoArg,
    file: Annotated[
        str | None,
        typer.Argument(metavar="[FILE]", help="Policy JSON file (- for stdin), or use the flags."),
    ] = None,
    keep_last: Annotated[
        int | None,
        typer.Option("--keep-last", metavar="N", help="Keep the N most recently pushed images."),
    ] = None,
    tag_prefix: Annotated[
        list[str] | None,
        typer.Option("--tag-prefix", metavar="P", help="--keep-last counts images tagged P..."),
    ] = None,
    tag_pattern: Annotated[
        list[str] | None,
        typer.Option(
            "--tag-pattern", metavar="GLOB", help="--keep-last counts images with a tag like GLOB."
        ),
    ] = None,
    expire_untagged_after: Annotated[
        int | None,
        typer.Option(
            "--expire-untagged-after", metavar="DAYS", help="Expire untagged images after DAYS."
        ),
    ] = None,
    consent: Consent = Consent(),
) -> None:
    """Validate a policy, show its difference from the current one and what it would expire
    now, then put it (asks on a terminal; --yes otherwise)."""
    from ecrctl.core.lifecycle.change import apply_policy_change, plan_policy_change

    policy = _policy_to_put(file, keep_last, tag_prefix, tag_pattern, expire_untagged_after)
    app_state = state(ctx)
    repository, service = _service(app_state, repo)
    change = plan_policy_change(service, repository, policy, at=datetime.now(UTC))
    _unread(repository, change.unread)
    title = f"{repository}: what the policy would do now"
    shown = (change.evaluation.affected, change.evaluation.later)  # the document's (_PUT_KEYS)
    if not change.changed:
        say(f"{repository} already has this lifecycle policy; nothing to change")
        app_state.emit(affected_view(change.to_json(), title, *shown))
        return
    for line in change.diff:
        say(line)
    _say_evaluation(repository, change.evaluation)
    if consent.dry_run:
        say("dry run: nothing changed")
        app_state.emit(affected_view(change.to_json(), title, *shown))
        return
    expiring = change.expiring
    confirm(
        f"Put this lifecycle policy on {repository} "
        f"({expiring} image{'s' * (expiring != 1)} would expire within 24 hours)?",
        yes=consent.yes,
    )
    change = apply_policy_change(service, change)
    say(f"put the lifecycle policy on {repository}")
    app_state.emit(affected_view(change.to_json(), title, *shown))


def _policy_to_put(
    file: str | None,
    keep_last: int | None,
    tag_prefix: list[str] | None,
    tag_pattern: list[str] | None,
    expire_untagged_after: int | None,
) -> Policy:
    """The policy FILE, or the one the builder flags describe (not both)."""
    from ecrctl.core.lifecycle.builder import build_policy

    flags = (keep_last, tag_prefix, tag_pattern, expire_untagged_after)
    if file is not None and any(flag for flag in flags):
        raise InvalidInput("give a policy FILE or the builder flags (--keep-last ...), not both")
    if file is not None:
        return load_policy(file)
    return build_policy(
        keep_last=keep_last,
        tag_prefixes=tag_prefix or (),
        tag_patterns=tag_pattern or (),
        expire_untagged_after=expire_untagged_after,
    )


def _say_evaluation(repository: str, evaluation: Evaluation) -> None:
    """What a new policy would do now, on stderr: the summary, then a line per image."""
    say(f"now, on {repository}: {summary(evaluation.affected, evaluation.kept, evaluation.later)}")
    for decision in evaluation.affected:
        say(
            f"  {decision.action:<10} {decision.image.digest}  {tags_of(decision)}  "
            f"(rule {rule_of(decision)})"
        )
    for decision in evaluation.later:
        say(
            f"  {decision.action + '-later':<10} {decision.image.digest}  {tags_of(decision)}  "
            f"(rule {rule_of(decision)}; after index {', '.join(decision.held_by)})"
        )


@app.command("get")
def get(ctx: typer.Context, repo: RepoArg) -> None:
    """Print the repository's lifecycle policy (pretty JSON, as stored)."""
    app_state = state(ctx)
    repository, service = _service(app_state, repo)
    stored = service.get(repository)
    lines = [[line] for line in stored.pretty().splitlines()]
    app_state.emit(View(doc=stored.document, rows=lines, text=lines))


@app.command("delete")
@grouped
def delete(ctx: typer.Context, repo: RepoArg, consent: Consent) -> None:
    """Delete the repository's lifecycle policy (its images are no longer expired)."""
    app_state = state(ctx)
    repository, service = _service(app_state, repo)
    stored = service.get(repository)
    document = stored.document
    found = document.get("rules") if isinstance(document, dict) else None
    rules = len(found) if isinstance(found, list | dict) else 0
    doc = {"repository": repository, "deleted": not consent.dry_run, "policy": stored.document}
    view = View.record(
        {**doc, "rules": rules},
        [("repository", "repository"), ("rules", "rules"), ("deleted", "deleted")],
    )
    if consent.dry_run:
        say(f"dry run: would delete the lifecycle policy of {repository} ({rules} rules)")
        app_state.emit(view)
        return
    confirm(f"Delete the lifecycle policy of {repository} ({rules} rules)?", yes=consent.yes)
    service.delete(repository)
    say(f"deleted the lifecycle policy of {repository}")
    app_state.emit(view)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="lifecycle")

"""What ``--help`` says beyond the parameters: the root's headings, one-line summaries, the
examples each help ends with, and arguments and options in the words people read.

The root help lists the commands under headings from ``GROUPS`` and ``SUMMARIES``, without
importing a command module (start-up: cli/entry.py caches the root help, but the first run and
completion render it from here). Each command's help ends with ``EXAMPLES``: lines of README.md
that tests/e2e/test_readme_runs.py runs on the seeded sandbox (tests/unit/test_help_text.py
checks that each example is such a line). Parameters show their metavar (``REPO``, ``TAG...``,
``SECONDS``), never typer's types (``<str>``, ``<int range>``), and a default without its range.
"""

from __future__ import annotations

from typing import Any

from ecrctl.cli.examples import EXAMPLES

__all__ = ["EXAMPLES", "GROUPS", "SUMMARIES"]

# The root help's headings, and the top-level commands under each, in the order shown.
# A name not in COMMANDS (cli/app.py) is skipped; a command missing here is listed under "Other".
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Images and tags",
        ("tags", "images", "digest", "inspect", "uri", "where", "retag", "untag", "scan"),
    ),
    ("Moving images", ("copy", "promote", "sync", "push", "pull")),
    ("Repositories", ("repo", "lifecycle")),
    ("Registry and access", ("registry", "policy")),
    ("Sign-in", ("login", "logout", "sso", "whoami")),
    ("Events", ("events",)),
    ("Local", ("sandbox", "demo")),
)
OTHER = "Other commands"

# One line per command, whole (tests/unit/test_help_text.py: it fits the root help at 80
# columns); keyed by the words typed after ``ecrctl``.
SUMMARIES: dict[str, str] = {
    "tags": "List a repository's tags, in version order",
    "images": "One row per image: digest, tags, size, type, scan",
    "digest": "Print an image's manifest digest",
    "inspect": "Show an image's manifest, platforms and config",
    "uri": "Print an image's full URI, or the registry host",
    "where": "Which profiles and regions hold an image, and its digest",
    "retag": "Point new tags at an image on the server, same digest",
    "untag": "Remove tags, images by digest, or untagged images",
    "copy": "Copy an image between repositories, accounts, registries",
    "promote": "Copy an image from one profile's registry to another's",
    "sync": "Copy many repositories and tags; only what is missing",
    "push": "Push a local image through the docker engine",
    "pull": "Pull an image into the docker engine",
    "repo": "Create, list, show, change and remove repositories",
    "lifecycle": "Check, preview, put and delete lifecycle policies",
    "scan": "An image's scan findings; gate CI with --fail-on",
    "registry": "Registry-wide settings: scanning, replication, caches",
    "policy": "Least-privilege IAM policies for ECR, printed or attached",
    "login": "Log docker in to ECR, or set up the credential helper",
    "logout": "Remove what login wrote, and the cached tokens",
    "sso": "Sign in and out with IAM Identity Center",
    "whoami": "Who the calls run as: profile, account, region",
    "events": "Send ECR events to a webhook or to SNS",
    "sandbox": "Run a local ECR emulator (no AWS account needed)",
    "demo": "Walk through the main workflow on the sandbox",
    "repo create": "Create a repository and print its URI",
    "repo list": "List repositories",
    "repo show": "Settings, image count, size, and who may pull",
    "repo set": "Change tag mutability or scan on push",
    "repo remove": "Remove repositories (a non-empty one with --force)",
    "repo grant-pull": "Let other accounts or organizations pull",
    "repo revoke-pull": "Take back what grant-pull gave",
    "repo policy": "Read, replace or delete a repository's policy",
    "repo policy get": "Print the repository policy",
    "repo policy set": "Replace the repository policy with a file",
    "repo policy delete": "Delete the repository policy",
    "policy push": "Policy to push and pull images",
    "policy pull": "Policy to pull images",
    "policy read-only": "Policy to read repositories, images and scans",
    "lifecycle validate": "Check a policy as ECR would; every problem",
    "lifecycle preview": "What a policy would expire now, and what it keeps",
    "lifecycle put": "Check, show the difference, ask, and put a policy",
    "lifecycle get": "Print the repository's lifecycle policy",
    "lifecycle delete": "Delete the repository's lifecycle policy",
    "sso login": "Sign in: approve a code in the browser",
    "sso logout": "Sign out and remove the cached token",
    "events setup": "Create or update the rule and its target (idempotent)",
    "events status": "Each piece of a setup, its state; exit 1 if drifted",
    "events list": "The setups in the region",
    "events teardown": "Remove what setup made",
    "events sample": "Print a sample ECR event, as EventBridge delivers it",
    "events listen": "A local webhook receiver: one line per event",
    "events test": "Send a sample event to a webhook",
    "events disable": "Pause delivery; delete nothing",
    "events enable": "Resume delivery paused by disable",
    "events template": "CloudFormation for the setup, or the read-only role",
    "events check-role": "Assume the read-only role as the partner will",
    "registry show": "Every registry-wide setting in one view",
    "registry scanning": "The registry's image scanning",
    "registry scanning show": "Scan type, frequency and repository filters",
    "registry scanning set": "Set the scan type, frequency and filters",
    "registry replication": "Replicate images to other regions and accounts",
    "registry replication show": "Each destination and the prefixes it receives",
    "registry replication set": "Replicate to a region (and account)",
    "registry replication remove": "Stop replicating to a destination",
    "registry pull-through": "Cache Docker Hub, GHCR, Quay, ... in this registry",
    "registry pull-through add": "Cache an upstream registry under NAME/",
    "registry pull-through list": "Every pull-through cache rule",
    "registry pull-through remove": "Delete a rule (cached images stay)",
    "registry pull-through validate": "Ask ECR to reach the upstream",
    "registry blob-mounting": "Pushes and copies reuse layers already here",
    "registry blob-mounting enable": "Turn blob mounting on",
    "registry blob-mounting disable": "Turn blob mounting off",
    "registry blob-mounting show": "ENABLED or DISABLED",
}

MORE = "Each command's --help shows its options and examples: ecrctl COMMAND --help."


def command_key(ctx: Any) -> str:
    """The words typed after ``ecrctl`` for this context's command ('' for the root)."""
    words: list[str] = []
    while ctx is not None and ctx.parent is not None:
        words.append(str(ctx.info_name))
        ctx = ctx.parent
    return " ".join(reversed(words))


def summary(key: str) -> str | None:
    return SUMMARIES.get(key)


def write_groups(formatter: Any, names: list[str], fallback: Any) -> None:
    """The root's commands under their headings; ``fallback(name)`` is the summary of a
    command this table does not know (it loads that command)."""
    listed: set[str] = set()
    width = max((len(n) for n in names), default=0)  # one column for every heading
    for heading, members in (*GROUPS, (OTHER, tuple(names))):
        rows = []
        for name in members:
            if name in names and name not in listed:
                listed.add(name)
                rows.append((name.ljust(width), SUMMARIES.get(name) or fallback(name)))
        if rows:
            with formatter.section(heading):
                formatter.write_dl(rows)


def write_examples(ctx: Any, formatter: Any) -> None:
    """The command's examples, one a line, never wrapped (a wrapped line cannot be pasted)."""
    key = command_key(ctx)
    examples = EXAMPLES.get(key, ())
    if not examples and not key:
        return
    formatter.write_paragraph()
    if examples:
        formatter.write_text("Examples:")
        for line in examples:
            formatter.write(f"{'':>{formatter.current_indent + 2}}{line}\n")
    if not key:
        formatter.write_paragraph()
        formatter.write_text(MORE)


# -- arguments and options in the words people read --------------------------------------------


def bare(metavar: str) -> str:
    """``[FILE]`` (an optional argument's metavar) without its brackets; usage adds them."""
    if metavar.startswith("[") and metavar.endswith("]") and metavar.count("[") == 1:
        return metavar[1:-1]
    return metavar


def argument_name(param: Any) -> str:
    name = bare(str(param.metavar or (param.name or "").upper()))
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name


def _option_metavar(param: Any) -> str:
    if param.metavar:
        return str(param.metavar)
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices:
        return "|".join(str(c) for c in choices)
    longest = str(max(param.opts, key=len))
    return longest.lstrip("-").upper().replace("-", "_")


def _default(param: Any) -> str:
    show = getattr(param, "show_default", None)
    if isinstance(show, str):
        return show
    value = param.default
    if not show or value is None or callable(value) or value in ((), []):
        return ""
    if getattr(param, "is_flag", False) and not getattr(param, "secondary_opts", None):
        return ""
    if isinstance(value, bool):
        return str((param.opts if value else param.secondary_opts)[0])
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(getattr(value, "value", value))


def help_record(param: Any, ctx: Any) -> tuple[str, str] | None:
    """A parameter's line in the help: ``REPO`` or ``--port PORT``, then its help text and
    its default; never a type in angle brackets or a number range."""
    if getattr(param, "hidden", False):
        return None
    if param.param_type_name == "argument":
        name = argument_name(param)
    else:
        takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
        names = []
        for opts in (param.opts, param.secondary_opts):
            if opts:
                shown = ", ".join(sorted(opts, key=lambda o: (o.startswith("--"), o)))
                names.append(f"{shown} {_option_metavar(param)}" if takes_value else shown)
        name = " / ".join(names)
    text = str(getattr(param, "help", None) or "")
    default = _default(param)
    if default and "default:" not in text:
        text = f"{text}  [default: {default}]" if text else f"[default: {default}]"
    return name, text

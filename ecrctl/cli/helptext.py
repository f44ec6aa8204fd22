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

# Two or three README lines per command (tests/unit/test_help_text.py: each is one, and
# test_readme_runs runs it on the seeded sandbox or names where it is tested instead).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "ecrctl tags team/app",
        "ecrctl retag team/app:1.4.2 stable",
        "ecrctl scan team/app 1.4.2",
    ),
    "tags": (
        "ecrctl tags team/app",
        "ecrctl tags team/app --sort pushed --limit 5",
        "ecrctl tags team/app --match 'v1.*' -o json",
    ),
    "images": ("ecrctl images team/app", "ecrctl images team/app:1.4.2"),
    "uri": ("ecrctl uri team/app:1.4.2", "export registry=$(ecrctl uri)"),
    "where": ("ecrctl where team/app:1.4.2 --profiles dev,stage,prod",),
    "whoami": ("ecrctl whoami",),
    "retag": (
        "ecrctl retag team/app:1.4.2 stable",
        "ecrctl retag team/app 1.4.2 stable prod",
        "ecrctl retag team/app 1.4.3 stable --no-clobber",
    ),
    "untag": (
        "ecrctl untag team/app pr-1234 pr-1235 --yes",
        "ecrctl untag team/app --match 'pr-*' --dry-run",
        "ecrctl untag team/app --untagged --yes",
    ),
    "copy": (
        "ecrctl copy team/app:1.5.0 team/web:1.5.0",
        "ecrctl copy team/app:1.4.2 111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/app --create",
        "ecrctl copy docker.io/library/nginx:1.27 mirror/nginx --with-referrers",
    ),
    "promote": ("ecrctl promote team/app:1.4.2 --from dev --to prod",),
    "push": ("ecrctl push myapp:1.4 team/app --create",),
    "pull": ("ecrctl pull team/app:1.4",),
    "repo": (
        "ecrctl repo create team/app --scan-on-push --tag team=platform --exist-ok",
        "ecrctl repo list",
        "ecrctl repo show team/app",
    ),
    "repo create": (
        "ecrctl repo create team/app --scan-on-push --tag team=platform --exist-ok",
        "ecrctl repo create team/api --lifecycle policy.json",
    ),
    "repo list": (
        "ecrctl repo list",
        "ecrctl repo list --profiles dev,stage,prod --regions eu-west-1,us-east-1",
    ),
    "repo show": ("ecrctl repo show team/app", "ecrctl -o json repo show team/app"),
    "repo set": ("ecrctl repo set team/web --immutable --no-scan-on-push",),
    "repo remove": ("ecrctl repo remove team/app --force --dry-run",),
    "repo grant-pull": (
        "ecrctl repo grant-pull team/app --account 222233334444 --dry-run",
        "ecrctl repo grant-pull team/app --account 222233334444 --org o-a1b2c3d4e5",
    ),
    "repo revoke-pull": (
        "ecrctl repo revoke-pull team/app --account 222233334444 --org o-a1b2c3d4e5",
    ),
    "repo policy": (
        "ecrctl repo policy get team/app > pull-policy.json",
        "ecrctl repo policy set team/app pull-policy.json",
        "ecrctl repo policy delete team/app",
    ),
    "repo policy get": ("ecrctl repo policy get team/app > pull-policy.json",),
    "repo policy set": ("ecrctl repo policy set team/app pull-policy.json",),
    "repo policy delete": ("ecrctl repo policy delete team/app",),
    "policy": (
        "ecrctl policy pull",
        "ecrctl policy read-only",
        "ecrctl policy push --repository team/app --attach-role codebuild-team-app",
    ),
    "policy push": (
        "ecrctl policy push --repository arn:aws:ecr:eu-west-1:123456789012:repository/team/app",
        "ecrctl policy push --repository team/app --attach-role codebuild-team-app",
    ),
    "policy pull": ("ecrctl policy pull",),
    "policy read-only": ("ecrctl policy read-only",),
    "sandbox": ("ecrctl sandbox --seed --port 5000",),
    "lifecycle": (
        "ecrctl lifecycle get team/app > policy.json",
        "ecrctl lifecycle preview team/app --policy policy.json",
        "ecrctl lifecycle put team/app policy.json",
    ),
    "lifecycle validate": (
        "ecrctl lifecycle validate policy.json",
        "cat policy.json | ecrctl lifecycle validate -",
    ),
    "lifecycle preview": (
        "ecrctl lifecycle preview team/app --policy policy.json",
        "ecrctl lifecycle preview team/app --at +7d",
        "ecrctl lifecycle preview team/app --remote",
    ),
    "lifecycle put": (
        "ecrctl lifecycle put team/app policy.json",
        "ecrctl lifecycle put team/app --keep-last 20 --tag-pattern 'v*' "
        "--expire-untagged-after 7 --yes",
    ),
    "lifecycle get": (
        "ecrctl lifecycle get team/app",
        "ecrctl lifecycle get team/app > policy.json",
    ),
    "lifecycle delete": ("ecrctl lifecycle delete team/app --dry-run",),
    "scan": (
        "ecrctl scan team/app 1.4.2",
        "ecrctl scan team/app:1.4.2 --start --wait",
        "ecrctl scan team/app 1.4.2 -o json | jq '.severityCounts'",
    ),
    "login": (
        "ecrctl login",
        "ecrctl login 111122223333 444455556666.dkr.ecr.eu-west-1.amazonaws.com",
        "ecrctl login status",
    ),
    "logout": ("ecrctl logout 111122223333",),
    "sso": ("ecrctl sso login --profile dev", "ecrctl sso logout --profile dev"),
    "sso login": ("ecrctl sso login --profile dev", "ecrctl sso login --profile dev --no-browser"),
    "sso logout": ("ecrctl sso logout --profile dev",),
    "events": (
        "ecrctl events sample replication",
        "ecrctl events list",
        "ecrctl events status",
    ),
    "events setup": (
        "ecrctl events setup --webhook-url https://hooks.example.com/ecr --username deploy-bot "
        '--repository team/app --event push,scan --password-stdin <<<"$PW"',
        "ecrctl events setup --name ecr-mail --email ops@example.com --event all "
        '--description "ECR to ops"',
        "ecrctl events setup --name team-hook --regions us-east-1,eu-west-1 "
        "--webhook-url https://hooks.example.com/ecr --username deploy-bot "
        '--password-stdin <<<"$PW"',
    ),
    "events status": (
        "ecrctl events status",
        "ecrctl events status --name team-hook --regions us-east-1,eu-west-1",
    ),
    "events list": ("ecrctl events list",),
    "events teardown": (
        "ecrctl events teardown --dry-run",
        "ecrctl events teardown --name ecr-mail --yes",
        "ecrctl events teardown --name team-hook --regions us-east-1,eu-west-1 --yes",
    ),
    "events sample": ("ecrctl events sample replication",),
    "events listen": (
        "ecrctl events listen --port 8080 --username deploy-bot --password-stdin --count 1 "
        '<<<"$PW"',
    ),
    "events test": (
        "ecrctl events test --webhook-url http://127.0.0.1:8080/ --username deploy-bot "
        '--password-stdin <<<"$PW"',
    ),
    "events disable": ("ecrctl events disable --name ecr-mail --yes",),
    "events enable": ("ecrctl events enable --name ecr-mail",),
    "events template": (
        "ecrctl events template > ecr-events.yaml",
        "ecrctl events template --read-only-role > ecr-integration-role.yaml",
    ),
    "events check-role": (
        "ecrctl events check-role arn:aws:iam::123456789012:role/partner-read-only "
        "--external-id partner-ext-1",
    ),
    "registry": (
        "ecrctl registry scanning show",
        "ecrctl registry replication show",
        "ecrctl registry replication set --to-region eu-west-1 --prefix team/",
    ),
    "registry scanning": (
        "ecrctl registry scanning show",
        "ecrctl registry scanning set --enhanced --continuous --filter 'team/*'",
    ),
    "registry scanning show": ("ecrctl registry scanning show",),
    "registry scanning set": (
        "ecrctl registry scanning set --enhanced --continuous --filter 'team/*'",
    ),
    "registry replication": (
        "ecrctl registry replication show",
        "ecrctl registry replication set --to-region eu-west-1 --prefix team/",
    ),
    "registry replication show": ("ecrctl registry replication show",),
    "registry replication set": (
        "ecrctl registry replication set --to-region eu-west-1 --prefix team/",
        "ecrctl registry replication set --to-region eu-west-1 --to-account 210987654321 "
        "--prefix team/",
    ),
    "registry replication remove": (
        "ecrctl registry replication remove --to-region eu-west-1 --to-account 210987654321",
    ),
    "registry pull-through add": (
        "ecrctl registry pull-through add docker-hub --upstream docker.io "
        '--username my-docker-id --password-stdin <<<"$DOCKER_HUB_TOKEN"',
    ),
    "registry pull-through": (
        "ecrctl registry pull-through add docker-hub --upstream docker.io "
        '--username my-docker-id --password-stdin <<<"$DOCKER_HUB_TOKEN"',
    ),
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

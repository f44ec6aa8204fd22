"""The examples each command's --help ends with: lines of README.md, as typed.

tests/unit/test_help_text.py checks that each is a README line and that
tests/e2e/test_readme_runs.py runs it on the seeded sandbox (or names the test that runs it
instead: push, pull, copy, sso, ...). Keyed by the words typed after ``ecrctl``.
"""

from __future__ import annotations

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
    "digest": (
        "ecrctl digest team/app:1.4.2",
        "ecrctl digest docker.io/library/alpine:3.20 --platform linux/arm64",
    ),
    "inspect": (
        "ecrctl inspect team/app:1.4.2",
        "ecrctl inspect team/app:1.4.2 --raw > manifest.json",
    ),
    "uri": ("ecrctl uri team/app:1.4.2", "export registry=$(ecrctl uri)"),
    "where": (
        "ecrctl where team/app:1.4.2 --profiles dev,stage,prod",
        "ecrctl where team/app:1.4.2 --accounts org --regions eu-west-1,us-east-1",
    ),
    "whoami": ("ecrctl whoami", "ecrctl whoami --accounts 111111111111,222222222222"),
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
        "ecrctl copy team/app:1.4.2 oci:app-layout:1.4.2",
    ),
    "promote": ("ecrctl promote team/app:1.4.2 --from dev --to prod",),
    "sync": (
        "ecrctl sync team/ mirror/ --create --dry-run",
        "ecrctl sync team/ mirror/ --create",
        "ecrctl sync team/app mirror/app --tag '1.*' --newest 2",
    ),
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
        "ecrctl repo list --accounts org --no-lifecycle-policy",
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
        '--username my-docker-id --password-stdin --yes <<<"$DOCKER_HUB_TOKEN"',
    ),
    "registry pull-through": (
        "ecrctl registry pull-through list",
        "ecrctl registry pull-through add docker-hub --upstream docker.io "
        '--username my-docker-id --password-stdin --yes <<<"$DOCKER_HUB_TOKEN"',
    ),
    "registry show": ("ecrctl registry show",),
    "registry pull-through list": ("ecrctl registry pull-through list",),
    "registry blob-mounting": ("ecrctl registry blob-mounting show",),
    "registry blob-mounting show": ("ecrctl registry blob-mounting show",),
}

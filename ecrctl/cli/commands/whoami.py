"""ecrctl whoami: the profile, account, ARN, region and registry host in use, and where the
credentials came from."""

from __future__ import annotations

import typer

from ecrctl.cli import fleet
from ecrctl.cli.common import FleetOptions, grouped, state
from ecrctl.cli.output import View
from ecrctl.core.fleet import ProfileContext
from ecrctl.core.names import registry_host

FIELDS = [
    ("profile", "profile"),
    ("account", "account"),
    ("arn", "arn"),
    ("region", "region"),
    ("registry", "registry"),
    ("credentials", "credentials"),
]
# --accounts: the account and its name in Organizations instead of a profile
ACCOUNT_FIELDS = [
    ("account", "account"),
    ("account name", "accountName"),
    ("arn", "arn"),
    ("region", "region"),
    ("registry", "registry"),
    ("credentials", "credentials"),
]


@grouped
def whoami(ctx: typer.Context, fleet_options: FleetOptions) -> None:
    """Who the calls run as: profile, account, ARN, region, registry host, credential source."""
    app_state = state(ctx)
    asked = fleet.request(app_state, fleet_options)

    def read(context: ProfileContext, region: str) -> dict[str, str]:
        return {
            "arn": context.arn,
            "registry": str(registry_host(context.account, region)),
            "credentials": context.credential_source,
        }

    result = fleet.run(app_state, asked, read)
    docs = [{**fleet.source_fields(o), **(o.value or {})} for o in result.succeeded]
    if not asked.explicit:
        app_state.emit(View.record(docs[0], FIELDS))
        return
    fields = ACCOUNT_FIELDS if asked.accounts is not None else FIELDS
    headers = tuple(label for label, _ in fields)
    rows = [[str(doc.get(key) or "-") for _, key in fields] for doc in docs]
    app_state.emit(View(doc=docs, headers=headers, rows=rows, text=rows))
    fleet.finish(result)


def register(app: typer.Typer) -> None:
    app.command("whoami")(whoami)

"""ecrctl events sample|listen|test: ECR events on this machine, without AWS.

``sample`` prints an event as EventBridge delivers it, ``listen`` is a local webhook that
prints what it receives, ``test`` sends a sample event to a webhook as EventBridge would.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ecrctl.cli.commands.events.options import PasswordStdinOpt, read_password
from ecrctl.cli.common import say, state
from ecrctl.cli.output import View
from ecrctl.cli.values import finite
from ecrctl.core.exceptions import InvalidInput, Refused


def sample(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            metavar="KIND",
            help="push, push-failed, delete, delete-failed, scan, replication, "
            "replication-failed, pull-through, referrer or scan-resource-change.",
        ),
    ],
    repository: Annotated[
        str | None, typer.Option("--repository", metavar="REPO", help="Repository name in it.")
    ] = None,
) -> None:
    """Print a sample ECR event in AWS's format (as EventBridge delivers it)."""
    import json

    from ecrctl.core.events.samples import sample as make_sample

    event = make_sample(kind.lower(), repository=repository)
    text = json.dumps(event, indent=2)
    state(ctx).emit(View(doc=event, rows=[[text]], text=[[text]]))


def listen(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="N", help="Port (0: any free).")] = 8080,
    username: Annotated[
        str | None,
        typer.Option("--username", metavar="U", help="Require basic auth with this user."),
    ] = None,
    password_stdin: PasswordStdinOpt = False,
    count: Annotated[
        int | None, typer.Option("--count", metavar="N", help="Exit after N events.")
    ] = None,
) -> None:
    """A local webhook receiver: one line per event (json lines with -o json); 401 without auth.

    Answers 200 once the event is printed, 400 for a malformed event, 413 over 256 KB. Stops
    after --count events or on SIGTERM (exit 0), or on Ctrl-C (exit 130).
    """
    import signal

    from ecrctl.cli.query import QueryFailed
    from ecrctl.core.events.inbound import BadEvent, EcrEvent, summary
    from ecrctl.core.events.listener import Rejection, WebhookListener
    from ecrctl.core.inputs import printable

    if count is not None and count < 1:
        raise InvalidInput("--count must be at least 1")
    if not 0 <= port <= 65535:
        raise InvalidInput(f"invalid --port {port}")
    password = read_password(password_stdin) if username is not None else None
    if username is None and password_stdin:
        raise InvalidInput("--password-stdin needs --username")
    app_state = state(ctx)

    def on_event(event: EcrEvent) -> None:
        line = [printable(field) for field in summary(event)]
        try:
            app_state.emit(View(doc=event, rows=[line], text=[line], json_lines=True))
        except QueryFailed as error:  # on this event's shape: the next one may do
            raise BadEvent(str(error)) from None

    def on_reject(rejection: Rejection) -> None:
        client, reason = printable(rejection.client), printable(rejection.reason)
        if rejection.status is None:
            say(f"dropped a request from {client}: {reason}")
        else:
            say(f"rejected a request from {client}: {rejection.status} {reason}")

    listener = WebhookListener(
        host, port, on_event=on_event, on_reject=on_reject, username=username, password=password
    )

    def on_sigterm(signum: int, frame: Any) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        if username is None:
            say("no --username: accepting requests without authentication")
        say(f"listening on {listener.url}" + (f" for {count} event(s)" if count else ""))
        listener.serve(count)
    except _Terminated:
        say("stopped (SIGTERM)")
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Terminated(BaseException):
    """SIGTERM: the normal way a service manager stops a server."""


def test(
    ctx: typer.Context,
    webhook_url: Annotated[
        str, typer.Option("--webhook-url", metavar="URL", help="Webhook to send to.")
    ],
    username: Annotated[str, typer.Option("--username", metavar="U", help="Basic-auth user.")],
    password_stdin: PasswordStdinOpt = False,
    event: Annotated[
        str, typer.Option("--event", metavar="push|delete|scan", help="Which sample event.")
    ] = "push",
    repository: Annotated[
        str | None, typer.Option("--repository", metavar="REPO", help="Repository name in it.")
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar="SECONDS", callback=finite, help="How long to wait."),
    ] = 10.0,
) -> None:
    """Send a sample event with basic auth; show the response status (exit 1 unless 2xx)."""
    from ecrctl.core.events.listener import send_event
    from ecrctl.core.events.samples import sample as make_sample

    payload = make_sample(event.lower(), repository=repository)
    password = read_password(password_stdin)
    delivery = send_event(
        webhook_url, payload, username=username, password=password, timeout=timeout
    )
    app_state = state(ctx)
    doc = delivery.to_json()
    app_state.emit(
        View(
            doc=doc,
            headers=("status", "reason", "ms", "url"),
            rows=[
                [str(delivery.status), delivery.reason, f"{delivery.elapsed_ms:.0f}", delivery.url]
            ],
            text=[[str(delivery.status), delivery.reason]],
        )
    )
    if not delivery.ok:
        raise Refused(f"the webhook answered {delivery.status} {delivery.reason}")


def add_commands(app: typer.Typer) -> None:
    app.command("sample")(sample)
    app.command("listen")(listen)
    app.command("test")(test)

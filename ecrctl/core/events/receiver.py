"""What a request handler of ``events listen`` needs of the server it answers for.

``listener.py`` (the server) makes its handlers with ``handler.py`` (one request); both use
what is here, so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ecrctl.core.events.inbound import EcrEvent


@dataclass(frozen=True)
class Rejection:
    """A request not recorded: ``status`` is what it was answered (None: the client left)."""

    client: str
    status: int | None
    reason: str


class Receiver(Protocol):
    """The listener as its handlers see it (``listener.WebhookListener``)."""

    username: str | None
    password: str | None
    request_timeout: float
    failure: BaseException | None
    on_reject: Callable[[Rejection], None]

    def record(self, event: EcrEvent) -> bool:
        """Hand the event on; False if it was not recorded. Raises ``BadEvent`` for an event
        that cannot be recorded as it is (answered 400; the listener goes on)."""
        ...

    def done(self) -> bool: ...

    def stop(self) -> None: ...

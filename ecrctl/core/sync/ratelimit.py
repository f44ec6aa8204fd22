"""Docker Hub's pull limit, read from its answers: ``ratelimit-limit: 100;w=21600`` and
``ratelimit-remaining: 97;w=21600`` (pulls in a window of ``w`` seconds). A manifest GET counts
as a pull, a HEAD does not; both answers carry the headers. When the pulls left fall to the
reserve (about one per image in flight), no new pull starts: the images left are named and the
sync says when to run again, instead of failing image after image on 429s."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

_VALUE_RE = re.compile(r"^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?")


def parse_ratelimit(value: str | None) -> tuple[int, int | None] | None:
    """``97;w=21600`` -> (97, 21600); ``97`` -> (97, None); anything else -> None."""
    match = _VALUE_RE.match(value or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


class PullGuard:
    """What a registry said of its pull limit (thread-safe; fed from every manifest answer)."""

    def __init__(self, reserve: int, clock: Callable[[], float] = time.time) -> None:
        self.reserve = reserve
        self.clock = clock
        self.remaining: int | None = None
        self.limit: int | None = None
        self.window: int | None = None
        self.tripped = False
        self._lock = threading.Lock()

    def observe(self, headers: Mapping[str, Any] | Any) -> None:
        """Read the rate-limit headers of one answer (any registry's; most send none)."""
        remaining = parse_ratelimit(headers.get("ratelimit-remaining"))
        limit = parse_ratelimit(headers.get("ratelimit-limit"))
        if remaining is None and limit is None:
            return
        with self._lock:
            if remaining is not None:
                # Answers arrive out of order from parallel images: the lowest count is the
                # latest, within one run.
                count, window = remaining
                self.remaining = count if self.remaining is None else min(self.remaining, count)
                self.window = window or self.window
            if limit is not None:
                self.limit, self.window = limit[0], limit[1] or self.window

    def exhausted(self) -> None:
        """A pull was refused for the limit (HTTP 429): start no other."""
        with self._lock:
            self.tripped = True
            self.remaining = 0

    @property
    def near(self) -> bool:
        """Whether to start no new pull."""
        with self._lock:
            return self.tripped or (self.remaining is not None and self.remaining <= self.reserve)

    def advice(self, left: int) -> str:
        """One line: how many images are left, and when a re-run can pull again."""
        from datetime import UTC, datetime  # only when the limit is reached

        limit = f" of {self.limit}" if self.limit is not None else ""
        window = self.window or 6 * 3600
        hours = f"{window / 3600:g} h" if window >= 3600 else f"{window // 60} min"
        when = datetime.fromtimestamp(self.clock() + window, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"the registry's pull limit is reached ({self.remaining or 0}{limit} pulls left in "
            f"a {hours} window): {left} image(s) not started; pulls free up as the window "
            f"slides: run the same command again later (by {when} at the latest)"
        )


def is_rate_limited(error: BaseException) -> bool:
    """A registry's 429 (TOOMANYREQUESTS): the pull limit, or throttling."""
    return getattr(error, "status", 0) == 429 or getattr(error, "code", "") == "TOOMANYREQUESTS"

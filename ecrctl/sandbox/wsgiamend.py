"""One WSGI app's answer, read whole and amended: the sandbox's layers above moto (ecr_extras.py,
frontdoor.py) change what moto answers a call, and so the answer's length."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def amended(
    app: WsgiApp,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    amend: Callable[[bytes], bytes],
) -> list[bytes]:
    """``app``'s answer to ``environ``, a 200's body passed through ``amend`` (any other answer
    as it is), with its Content-Length set again."""
    captured: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.update(status=status, headers=headers)
        return chunks.append

    answer = app(environ, start)
    try:
        chunks.extend(answer)
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    data = b"".join(chunks)
    if str(captured.get("status", "")).startswith("200"):
        data = amend(data)
    headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
    start_response(captured["status"], [*headers, ("Content-Length", str(len(data)))])
    return [data]

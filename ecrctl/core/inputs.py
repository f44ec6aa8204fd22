"""Input from outside, bounded and checked before it is used: bad input is exit 2, never an
"unexpected error".

- ``read_at_most``: never more than a limit from a stream (``yes | ecrctl ... --password-stdin``
  and ``cat /dev/zero | ...`` stop at the limit instead of filling memory).
- ``read_file_at_most``: the same for a file argument (``lifecycle validate /dev/zero``).
- ``check_endpoint_url``: an ``--endpoint-url`` botocore can use (it raises a bare ValueError
  for ``https://a_b``), and ``check_host_name`` for any URL a user gives (a 64-character label
  or ``a..b`` is not a DNS name).
- ``check_pattern``: a name or pattern of a bounded length that a regular expression matches.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TextIO

from ecrctl.core.exceptions import InvalidInput

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
MAX_HOST_CHARS = 253


def read_at_most(stream: TextIO, limit: int, what: str, hint: str = "") -> str:
    """All of ``stream`` if it is at most ``limit`` characters; else InvalidInput (``what``
    names the input, ``hint`` says what would be accepted)."""
    try:
        text = stream.read(limit + 1)
    except UnicodeDecodeError:
        raise InvalidInput(f"{what}: not UTF-8 text") from None
    if len(text) > limit:
        raise InvalidInput(f"{what}: more than {limit:,} characters{hint}")
    return text


def read_file_at_most(path: str, limit: int, hint: str = "", *, what: str = "") -> str:
    """The text of FILE read with the same bound (never more than ``limit`` + 1 characters);
    ``what`` names it in messages (``--ignore-file FILE``), else its path does."""
    name = printable(what or path)
    try:
        with open(path, encoding="utf-8") as handle:
            return read_at_most(handle, limit, name, hint)
    except OSError as error:
        raise InvalidInput(f"cannot read {name}: {error.strerror or error}") from None
    except ValueError:  # a NUL in the path: no such file can exist
        raise InvalidInput(f"cannot read {name}: a path cannot hold a NUL character") from None


def check_host_name(host: str) -> str | None:
    """None when ``host`` is a DNS name (labels of 1-63 letters, digits and inner hyphens), an
    IPv4 address or a bracketed IPv6 address; else what is wrong with it."""
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return f"{host!r} is not an IPv6 address"
        return None
    if not host:
        return "the host name is empty"
    if len(host) > MAX_HOST_CHARS:
        return f"the host name is {len(host)} characters; at most {MAX_HOST_CHARS}"
    for label in host.removesuffix(".").split("."):
        if not label:
            return f"{host!r} has an empty label (two dots in a row, or a leading dot)"
        if len(label) > 63:
            return f"{host!r} has a label of {len(label)} characters; at most 63"
        if not _LABEL.match(label):
            return (
                f"{host!r}: {label!r} is not a host name label (letters, digits and hyphens, "
                "not starting or ending with a hyphen)"
            )
    return None


def check_endpoint_url(url: str, option: str = "--endpoint-url") -> str:
    """``url`` if it is an ``http(s)://HOST[:PORT][/PATH]`` botocore can use; else InvalidInput
    saying what is wrong."""
    from urllib.parse import urlsplit

    value = url.strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        raise InvalidInput(f"{option} {url!r}: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(f"{option} {url!r}: give an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(f"{option}: a user name or password in the URL is not used; remove it")
    netloc = parts.netloc.rpartition("@")[2]
    host = netloc
    if port is not None or netloc.endswith(":"):
        host = netloc.rpartition(":")[0]
    problem = check_host_name(host)
    if problem:
        raise InvalidInput(f"{option} {url!r}: {problem}")
    if port == 0:
        raise InvalidInput(f"{option} {url!r}: the port must be 1-65535")
    if parts.query or parts.fragment:
        raise InvalidInput(f"{option} {url!r}: an endpoint takes no query or fragment")
    return value


def check_web_url(url: str, option: str, *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """A webhook-style URL (path and query allowed): the scheme is one of ``schemes`` and the
    host a name a resolver would take (no empty or 64-character label, no ``_``); else
    InvalidInput naming ``option``."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidInput(f"invalid {option} {url!r}: {error}") from None
    if parts.scheme not in schemes or not parts.hostname:
        wanted = " or ".join(f"{s}://" for s in schemes)
        raise InvalidInput(f"invalid {option} {url!r}: {wanted} URL expected")
    # urlsplit drops the brackets of an IPv6 literal ([::1]); check_host_name wants them.
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    problem = check_host_name(host)
    if problem:
        raise InvalidInput(f"invalid {option} {url!r}: {problem}")
    if port == 0:
        raise InvalidInput(f"invalid {option} {url!r}: the port must be 1-65535")
    return url


def check_seconds(option: str, value: float, *, minimum: float, maximum: float) -> float:
    """A finite number of seconds within [minimum, maximum]; else InvalidInput."""
    import math

    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise InvalidInput(
            f"invalid {option} {value!r}: give seconds from {minimum:g} to {maximum:g}"
        )
    return value


def check_pattern(text: str, pattern: re.Pattern[str], lengths: range, refusal: str) -> str:
    """``text`` when its length is in ``lengths`` and ``pattern`` matches all of it; else
    InvalidInput(``refusal``), the message that says what a good one looks like."""
    if not (len(text) in lengths and pattern.fullmatch(text)):
        raise InvalidInput(refusal)
    return text


def printable(text: str) -> str:
    """``text`` safe for a terminal: control and format characters (escape sequences, bidi
    overrides, tabs, newlines) written as Python escapes such as ``\\x1b``."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)

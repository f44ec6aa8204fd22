"""Failures of botocore's own SSO token loading, told apart by where botocore raised them.

botocore reads ``~/.aws/sso/cache`` itself (its SSOTokenLoader, SSOTokenProvider and
SSOCredentialFetcher): a file that is not JSON surfaces as a bare KeyError, a time that is not
one as dateutil's ValueError. They mean "the cached sign-in is unreadable" (sign in again), and
what needs no session (the registry host from ``sso_account_id``) still works without it.
"""

from __future__ import annotations

_SSO_CACHE_READERS = frozenset({"SSOTokenLoader", "JSONFileCache"})
_SSO_TOKEN_USERS = frozenset({"SSOTokenProvider", "SSOCredentialFetcher"})


def from_sso_cache(error: BaseException) -> bool:
    """A KeyError or ValueError that botocore's SSO token loading raised on a cache file that
    is not JSON (raised reading it) or holds a time that is not one (raised by dateutil,
    parsing ``expiresAt`` for the token's user): the file is botocore's to read, so its
    failure is told apart by where it was raised."""
    if not isinstance(error, KeyError | ValueError | TypeError):
        return False
    owners: set[str] = set()
    trace, innermost = error.__traceback__, ""
    while trace is not None:
        owners.add(type(trace.tb_frame.f_locals.get("self")).__name__)
        innermost = trace.tb_frame.f_code.co_filename
        trace = trace.tb_next
    parsing_time = "dateutil" in innermost.replace("\\", "/").split("/")
    return bool(owners & _SSO_CACHE_READERS) or (parsing_time and bool(owners & _SSO_TOKEN_USERS))

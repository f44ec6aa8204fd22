"""Docker Hub's repository listing of a namespace (Docker Hub has no ``_catalog``):
``GET /v2/namespaces/NAMESPACE/repositories?page_size=100``, pages chained by ``next``.

Anonymous for public repositories; with docker's credentials for Docker Hub (``docker login``),
they are traded for a short-lived token first (``POST /v2/auth/token``), which also lists the
private repositories the account may see. The token goes only to the API's own host: a ``next``
link elsewhere is refused. Every answer is read bounded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from ecrctl.core.distribution.answers import token_of
from ecrctl.core.distribution.client import Denied, Missing, RegistryError, Unreachable
from ecrctl.core.distribution.connections import ConnectionFailed, Misbehaving, Pool, origin
from ecrctl.core.exceptions import BadAnswer

HUB_API = "https://hub.docker.com"
PAGE_SIZE = 100
MAX_ANSWER = 8 * 2**20
MAX_PAGES = 10_000

Credentials = Callable[[], "tuple[str, str] | None"]


class HubApi:
    def __init__(
        self,
        base: str = HUB_API,
        *,
        credentials: Credentials | None = None,
        pool: Pool | None = None,
    ) -> None:
        self.base = base.rstrip("/")
        self.credentials = credentials
        self.pool = pool or Pool(maxsize=2)
        self._token: str | None = None

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None = None,
        token: str | None = None,
    ) -> Any:
        # The pool sends an Authorization only as ``auth``, to the API's own origin.
        auth = (origin(self.base), f"Bearer {token}") if token else None
        try:
            # Read whole within the pool's deadline, at most MAX_ANSWER (an error's body less).
            response = self.pool.request(
                method, url, headers=headers, body=body, auth=auth, limit=MAX_ANSWER
            )
        except ConnectionFailed as error:
            raise Unreachable(f"Docker Hub API {self.base}: connection failed ({error})") from None
        except Misbehaving as error:
            raise BadAnswer(f"Docker Hub API {error.netloc}: {error.problem}") from None
        return response.status, response.data

    def _login(self) -> str | None:
        """The API's token for docker's credentials; None when there are none (anonymous)."""
        creds = self.credentials() if self.credentials else None
        if not creds:
            return None
        if self._token is None:
            body = json.dumps({"identifier": creds[0], "secret": creds[1]}).encode()
            status, data = self._send(
                "POST", f"{self.base}/v2/auth/token", {"Content-Type": "application/json"}, body
            )
            if status in (401, 403):
                raise Denied(
                    "Docker Hub refused docker's credentials for registry-1.docker.io "
                    "(run: docker login)",
                    status=status,
                )
            if status != 200:
                raise RegistryError(f"Docker Hub API: no token (HTTP {status})", status=status)
            # token_of: a token, and one fit for a header (no CR/LF, spaces or controls)
            self._token = token_of(data, "Docker Hub API")
        return self._token

    def repositories(self, namespace: str) -> list[str]:
        """``NAMESPACE/NAME`` of every repository in the namespace."""
        headers = {"Accept": "application/json"}
        token = self._login()
        url: str | None = (
            f"{self.base}/v2/namespaces/{quote(namespace)}/repositories?page_size={PAGE_SIZE}"
        )
        names: list[str] = []
        seen: set[str] = set()
        while url:
            if url in seen or len(seen) >= MAX_PAGES:
                raise RegistryError("Docker Hub API: the repository pages lead in a circle")
            seen.add(url)
            status, data = self._send("GET", url, headers, token=token)
            self._check(status, namespace)
            doc = _json(data)
            results = doc.get("results") or []
            if not isinstance(results, list):
                raise BadAnswer(f"Docker Hub API: the results of {namespace} are not a list")
            for entry in results:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    names.append(f"{namespace}/{entry['name']}")
            url = self._next(doc.get("next"))
        return names

    def _check(self, status: int, namespace: str) -> None:
        if status == 200:
            return
        if status == 404:
            raise Missing(f"Docker Hub has no namespace {namespace}", status=404)
        if status in (401, 403):
            raise Denied(f"Docker Hub API: HTTP {status} listing {namespace}", status=status)
        raise RegistryError(f"Docker Hub API: HTTP {status} listing {namespace}", status=status)

    def _next(self, link: Any) -> str | None:
        if not link:
            return None
        if not isinstance(link, str):
            raise RegistryError("Docker Hub API: a malformed next link")
        mine, target = urlsplit(self.base), urlsplit(link)
        if (target.scheme, target.netloc) != (mine.scheme, mine.netloc):
            raise RegistryError(
                f"Docker Hub API: the next page is on another host ({target.netloc}); not followed"
            )
        return link


def _json(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except ValueError:
        raise RegistryError("Docker Hub API: an answer that is not JSON") from None
    if not isinstance(doc, dict):
        raise RegistryError("Docker Hub API: an answer that is not a JSON object")
    return doc

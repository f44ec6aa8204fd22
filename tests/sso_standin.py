"""A small local IAM Identity Center: the ``sso-oidc`` API and the SSO portal, on 127.0.0.1.

Reached the way botocore reaches any service, through its per-service endpoint variables
(``AWS_ENDPOINT_URL_SSO_OIDC``, ``AWS_ENDPOINT_URL_SSO``), so the code under test and the aws
CLI talk to it unchanged. Shapes follow botocore's service models (rest-json):

- ``POST /client/register`` (RegisterClient): a client id and secret, valid 90 days;
- ``POST /device_authorization`` (StartDeviceAuthorization): a device code, a user code, the
  verification URLs (on this server: ``GET /device?user_code=...`` approves, as a person in
  the browser would), ``expiresIn`` and ``interval``;
- ``POST /token`` (CreateToken): for the device grant, ``authorization_pending`` until the code
  is approved (after ``pending_polls`` pending answers when ``approve_on_visit`` is off), then
  ``slow_down`` ``slow_downs`` times; or the refresh-token grant. A refresh token is issued when
  the client registered the ``sso:account:access`` scope, as IAM Identity Center does;
- ``GET /federation/credentials`` (GetRoleCredentials, token in ``x-amz-sso_bearer_token``):
  credentials from moto's STS AssumeRole on ``arn:aws:iam::ACCOUNT:role/ROLE``, so moto's STS and
  ECR see the profile's account; ``POST /logout`` ends the token's session.

Errors carry ``x-amzn-ErrorType`` as AWS sends it, which botocore maps to the modelled
exceptions. Every request is recorded in ``calls`` (operation and non-secret fields).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakehttp import FakeServer, Reply, Request, json_reply

REFRESH_SCOPE = "sso:account:access"


class IdentityCenter:
    def __init__(self, sts_endpoint: str | None = None) -> None:
        self.sts_endpoint = sts_endpoint
        self.pending_polls = 1  # authorization_pending answers before an approval
        self.approve_on_visit = False  # approve only when /device?user_code=... is visited
        self.slow_downs = 0
        self.deny = False
        self.interval = 1
        self.code_lifetime = 600
        self.token_lifetime = 3600
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.clients: dict[str, dict[str, Any]] = {}
        self.devices: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, float] = {}  # access token -> expiry (epoch seconds)
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> client id
        self.logged_out: list[str] = []
        self.lock = threading.Lock()
        self.url = ""  # once entered

    def __enter__(self) -> IdentityCenter:
        self.server = FakeServer(self._route)
        self.url = self.server.url
        return self

    def __exit__(self, *_: object) -> None:
        self.server.stop()

    def operations(self) -> list[str]:
        with self.lock:
            return [name for name, _ in self.calls]

    def environment(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL_SSO_OIDC": self.url, "AWS_ENDPOINT_URL_SSO": self.url}

    # -- the operations -----------------------------------------------------------------------

    def register(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        client_id, secret = f"client-{secrets.token_hex(6)}", secrets.token_hex(24)
        now = int(time.time())
        self.clients[client_id] = {"secret": secret, "scopes": body.get("scopes") or []}
        self.calls.append(("RegisterClient", {k: body.get(k) for k in ("clientName", "scopes")}))
        return 200, {
            "clientId": client_id,
            "clientSecret": secret,
            "clientIdIssuedAt": now,
            "clientSecretExpiresAt": now + 90 * 86400,
        }

    def _client_ok(self, body: dict[str, Any]) -> bool:
        client = self.clients.get(str(body.get("clientId")))
        return client is not None and client["secret"] == body.get("clientSecret")

    def authorize(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append(("StartDeviceAuthorization", {"startUrl": body.get("startUrl")}))
        if not self._client_ok(body):
            return _oidc_error("InvalidClientException", "invalid_client")
        device, user = secrets.token_hex(16), f"{secrets.token_hex(2)}-{secrets.token_hex(2)}"
        self.devices[device] = {
            "client": body["clientId"],
            "user": user.upper(),
            "pending": self.pending_polls,
            "slow": self.slow_downs,
            "approved": False,
            "used": False,
        }
        return 200, {
            "deviceCode": device,
            "userCode": user.upper(),
            "verificationUri": f"{self.url}/device",
            "verificationUriComplete": f"{self.url}/device?user_code={user.upper()}",
            "expiresIn": self.code_lifetime,
            "interval": self.interval,
        }

    def _issue(self, client_id: str) -> dict[str, Any]:
        token = f"access-{secrets.token_hex(12)}"
        self.tokens[token] = time.time() + self.token_lifetime
        answer: dict[str, Any] = {
            "accessToken": token,
            "tokenType": "Bearer",
            "expiresIn": self.token_lifetime,
        }
        if REFRESH_SCOPE in self.clients[client_id]["scopes"]:
            refresh = f"refresh-{secrets.token_hex(12)}"
            self.refresh_tokens[refresh] = client_id
            answer["refreshToken"] = refresh
        return answer

    def token(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        grant = body.get("grantType")
        self.calls.append(("CreateToken", {"grantType": grant}))
        if not self._client_ok(body):
            return _oidc_error("InvalidClientException", "invalid_client")
        if grant == "refresh_token":
            owner = self.refresh_tokens.pop(str(body.get("refreshToken")), None)
            if owner != body["clientId"]:
                return _oidc_error("InvalidGrantException", "invalid_grant")
            return 200, self._issue(owner)
        device = self.devices.get(str(body.get("deviceCode")))
        if device is None or device["client"] != body["clientId"] or device["used"]:
            return _oidc_error("InvalidGrantException", "invalid_grant")
        if self.deny:
            return _oidc_error("AccessDeniedException", "access_denied")
        if not self.approve_on_visit and device["pending"] <= 0:
            device["approved"] = True
        if not device["approved"]:
            device["pending"] -= 1
            return _oidc_error("AuthorizationPendingException", "authorization_pending")
        if device["slow"] > 0:
            device["slow"] -= 1
            return _oidc_error("SlowDownException", "slow_down")
        device["used"] = True
        return 200, self._issue(device["client"])

    def visit(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        code = (query.get("user_code") or [""])[0]
        self.calls.append(("VisitDevicePage", {"user_code": code}))
        for device in self.devices.values():
            if device["user"] == code:
                device["approved"] = True
                return 200, {"approved": code}
        return 404, {"message": "no such code"}

    def _valid(self, token: str | None) -> bool:
        return token is not None and self.tokens.get(token, 0) > time.time()

    def role_credentials(self, query: dict[str, list[str]], token: str | None) -> Any:
        account = (query.get("account_id") or [""])[0]
        role = (query.get("role_name") or [""])[0]
        self.calls.append(("GetRoleCredentials", {"account": account, "role": role}))
        if not self._valid(token):
            return _portal_error(401, "UnauthorizedException", "Session token not found or invalid")
        if role == "NotAssigned":
            return _portal_error(403, "ForbiddenException", "No access")
        key, secret, session = "ASIASTANDIN", "standin-secret", "standin-session"
        if self.sts_endpoint:
            import boto3

            sts = boto3.client("sts", region_name="us-east-1", endpoint_url=self.sts_endpoint)
            found = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="standin"
            )["Credentials"]
            key, secret, session = (
                found["AccessKeyId"],
                found["SecretAccessKey"],
                found["SessionToken"],
            )
        return 200, {
            "roleCredentials": {
                "accessKeyId": key,
                "secretAccessKey": secret,
                "sessionToken": session,
                "expiration": int((time.time() + 3600) * 1000),
            }
        }

    def logout(self, token: str | None) -> tuple[int, dict[str, Any]]:
        self.calls.append(("Logout", {}))
        if not self._valid(token):
            return _portal_error(401, "UnauthorizedException", "Session token not found or invalid")
        assert token is not None
        del self.tokens[token]
        self.logged_out.append(token)
        return 200, {}

    # -- HTTP -----------------------------------------------------------------------------------

    def _route(self, request: Request) -> Reply:
        method, parts = request.method, urlsplit(request.path)
        query = parse_qs(parts.query)
        body = json.loads(request.body) if request.body.strip() else {}
        token = request.headers.get("x-amz-sso_bearer_token")
        with self.lock:
            if method == "POST" and parts.path == "/client/register":
                answer = self.register(body)
            elif method == "POST" and parts.path == "/device_authorization":
                answer = self.authorize(body)
            elif method == "POST" and parts.path == "/token":
                answer = self.token(body)
            elif method == "GET" and parts.path == "/device":
                answer = self.visit(query)
            elif method == "GET" and parts.path == "/federation/credentials":
                answer = self.role_credentials(query, token)
            elif method == "POST" and parts.path == "/logout":
                answer = self.logout(token)
            else:
                answer = (404, {"message": f"no route {method} {parts.path}"})
        return json_reply(answer[0], answer[1], answer[2] if len(answer) > 2 else None)


def _oidc_error(name: str, error: str) -> Any:
    return (
        400,
        {"error": error, "error_description": name},
        {"x-amzn-ErrorType": f"{name}:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/"},
    )


def _portal_error(status: int, name: str, message: str) -> Any:
    return (status, {"message": message}, {"x-amzn-ErrorType": name})

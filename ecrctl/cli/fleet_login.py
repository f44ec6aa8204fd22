"""``ecrctl login --profiles dev,stage,prod [--regions ...]``: every profile's registry at once.

One GetAuthorizationToken per profile and region, concurrently (core/fleet.py); the docker config
and the token cache are then written one login at a time, in the order of the sources.
"""

from __future__ import annotations

from typing import Any

from ecrctl.cli import fleet
from ecrctl.cli.common import AppState, say
from ecrctl.cli.output import View
from ecrctl.core.fleet import ProfileContext
from ecrctl.core.login.targets import RegistryToken, TokenRequest, fetch_tokens


def login_everywhere(
    app_state: AppState, profiles: str | None, regions: str | None, *, helper: bool
) -> None:
    from ecrctl import tokens
    from ecrctl.cli.commands.login import expires_in
    from ecrctl.core.login.cache import TokenCache, resolve_identity
    from ecrctl.core.login.dockerconfig import HELPER_NAME, DockerConfig
    from ecrctl.core.login.userconfig import load_user_config
    from ecrctl.core.models import iso

    asked = fleet.request(app_state, profiles, regions)
    endpoint = app_state.settings.endpoint_url

    def read(context: ProfileContext, region: str) -> list[RegistryToken]:
        request = TokenRequest(context.access.profile, region)
        return list(fetch_tokens(context.access.client("ecr", region), request))

    result = fleet.run(app_state, asked, read)
    cache = TokenCache()
    docker_config = DockerConfig()
    user_config = load_user_config() if helper else None
    views: list[tuple[Any, View]] = []
    for outcome in result.succeeded:
        identity = resolve_identity(outcome.source.profile, endpoint_url=endpoint)
        docs = []
        for token in outcome.value or []:
            tokens.remember(cache, token, identity)
            if helper:
                docker_config.use_helper(token.host)
                where = f"credHelpers {HELPER_NAME}"
                if (
                    user_config is not None
                    and outcome.source.profile
                    and (user_config.profile_for(token.host) != outcome.source.profile)
                ):
                    say(
                        f"note: docker-credential-{HELPER_NAME} picks the profile for "
                        f'{token.host} from {user_config.path}: add [registries."{token.host}"] '
                        f'profile = "{outcome.source.profile}" there'
                    )
            else:
                where = docker_config.store(token.host, token.username, token.password).store
            say(
                f"{outcome.source.label}: {token.host}: {where} in {docker_config.path}; "
                f"token expires {iso(token.expires_at)} (in {expires_in(token)})"
            )
            docs.append({**token.to_json(), "store": where})
        views.append((outcome, View(doc=docs, headers=("registry", "store", "expires"), rows=[])))
    if result.succeeded:
        say("Login Succeeded" if not result.failed else "Login Succeeded (partly)")
    # Nothing on stdout unless asked for (-o json), as for one registry.
    tagged = fleet.tagged(views)
    app_state.emit(View(doc=tagged.doc, headers=tagged.headers, rows=[], text=[]))
    fleet.finish(result)

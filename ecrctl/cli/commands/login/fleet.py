"""``ecrctl login --profiles dev,stage,prod [--regions ...]``: every profile's registry at once.

One GetAuthorizationToken per profile and region, concurrently (core/fleet.py); the docker config
and the token cache are then written one login at a time, in the order of the sources.
"""

from __future__ import annotations

from ecrctl.cli import fleet
from ecrctl.cli.commands.login.lines import login_line, token_cache
from ecrctl.cli.common import AppState, FleetOptions, say
from ecrctl.cli.output import View
from ecrctl.core.fleet import Outcome, ProfileContext
from ecrctl.core.login.targets import RegistryToken, TokenRequest, fetch_tokens


def login_everywhere(app_state: AppState, given: FleetOptions, *, helper: bool) -> None:
    from ecrctl.core.login.cache import resolve_identity
    from ecrctl.core.login.dockerconfig import HELPER_NAME, DockerConfig
    from ecrctl.core.login.login import LoginMode, keep_token
    from ecrctl.core.login.userconfig import load_user_config

    asked = fleet.request(app_state, given)
    endpoint = app_state.settings.endpoint_url

    def read(context: ProfileContext, region: str) -> list[RegistryToken]:
        request = TokenRequest(context.access.profile, region)
        return list(fetch_tokens(context.access.registry(region), request))

    result = fleet.run(app_state, asked, read)
    cache = token_cache()
    docker_config = DockerConfig()
    user_config = load_user_config() if helper else None
    mode: LoginMode = "helper" if helper else "store"
    views: list[tuple[Outcome[list[RegistryToken]], View]] = []
    for outcome in result.succeeded:
        identity = resolve_identity(outcome.source.profile, endpoint_url=endpoint)
        docs = []
        for token in outcome.value or []:
            login = keep_token(token, identity, mode=mode, docker_config=docker_config, cache=cache)
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
            say(f"{outcome.source.label}: {login_line(login)}")
            docs.append(login.to_json())
        views.append((outcome, View(doc=docs, headers=("registry", "store", "expires"), rows=[])))
    if result.succeeded:
        say("Login Succeeded" if not result.failed else "Login Succeeded (partly)")
    # Nothing on stdout unless asked for (-o json), as for one registry.
    tagged = fleet.tagged(views, by_account=asked.accounts is not None)
    app_state.emit(View(doc=tagged.doc, headers=tagged.headers, rows=[], text=[]))
    fleet.finish(result)

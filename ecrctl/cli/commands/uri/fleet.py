"""``ecrctl uri`` with no argument (the registry host) or over --profiles/--regions."""

from __future__ import annotations

from dataclasses import replace
from typing import NotRequired, TypedDict

from ecrctl.cli import fleet
from ecrctl.cli.common import AppState, FleetOptions
from ecrctl.cli.output import Column, View
from ecrctl.core.fleet import ProfileContext
from ecrctl.core.login.targets import reported_host
from ecrctl.core.names import image_uri, is_aws_endpoint, parse_image_ref, registry_host
from ecrctl.session import ecr_endpoint


class UriDoc(TypedDict):
    uri: str
    registry: str
    repository: NotRequired[str]
    tag: NotRequired[str | None]
    digest: NotRequired[str | None]


URI = (Column("uri"),)  # never cut: it is meant to be copied


def uris(app_state: AppState, ref: str | None, given: FleetOptions) -> None:
    image = parse_image_ref(ref) if ref is not None else None
    if image is not None and image.registry is not None and given.wanted:
        from ecrctl.core.exceptions import InvalidInput

        raise InvalidInput(
            "--profiles/--regions/--accounts give the registries: name REPO[:TAG], not a URI"
        )
    asked = fleet.request(app_state, given)
    registry_id = None if asked.explicit else app_state.settings.registry_id

    def read(context: ProfileContext, region: str) -> UriDoc:
        host = registry_host(registry_id or context.account, region)
        other = reported_host(context.access.registry(region), registry_id)
        host = replace(host, reported=other) if other else host
        if image is None:
            return {"uri": str(host), "registry": str(host)}
        text = image_uri(host, image.repository, tag=image.tag, digest=image.digest)
        return {
            "uri": text,
            "registry": str(host),
            "repository": image.repository,
            "tag": image.tag,
            "digest": image.digest,
        }

    endpoint = ecr_endpoint(app_state.settings)
    known = not endpoint or is_aws_endpoint(endpoint)  # an emulator is asked for its host
    if image is None and not asked.explicit and registry_id and app_state.settings.region and known:
        # Everything is known: no call to AWS.
        host = str(registry_host(registry_id, app_state.settings.region))
        app_state.emit(View(doc={"uri": host, "registry": host}, rows=[[host]], text=[[host]]))
        return
    try:
        result = fleet.run(app_state, asked, read)
    except Exception as error:
        # One profile without a session (an SSO profile not signed in): the host needs none.
        clients = app_state.clients()
        account = clients.account_without_credentials(error)
        if asked.explicit or account is None:
            raise
        host = str(registry_host(registry_id or account, clients.region))
        app_state.emit(View(doc={"uri": host, "registry": host}, rows=[[host]], text=[[host]]))
        return
    if not asked.explicit:
        doc = result.outcomes[0].value
        assert doc is not None  # a read that failed was raised by fleet.run
        app_state.emit(View(doc=doc, rows=[[doc["uri"]]], text=[[doc["uri"]]]))
        return
    views = [
        (o, View(doc=o.value, headers=("uri",), columns=URI, rows=[[o.value["uri"]]]))
        for o in result.succeeded
        if o.value is not None
    ]
    app_state.emit(fleet.tagged(views, by_account=asked.accounts is not None))
    fleet.finish(result)

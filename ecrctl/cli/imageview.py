"""What ``ecrctl digest`` and ``ecrctl inspect`` share: IMAGE opened as ``copy`` opens its
source (any registry's reference, a bare ECR name, ``oci:DIR[:TAG]``,
``docker-archive:FILE[:REF]``), and the inspection as a View."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli.common import AppState
from ecrctl.cli.copying import copy_access
from ecrctl.cli.output import View, cell, short_digest
from ecrctl.core.copy.ends import open_end
from ecrctl.core.copy.sides import open_end_side
from ecrctl.core.distribution.store import ImageStore
from ecrctl.core.images.inspect import ImageInspection, registry_errors, with_latest
from ecrctl.core.models import human_size
from ecrctl.core.names import Reference, short_media_type

ImageArg = Annotated[
    str,
    typer.Argument(
        metavar="IMAGE",
        help="repo:tag, repo@sha256:..., any registry's reference, oci:DIR[:TAG] or "
        "docker-archive:FILE[:REF]; no tag means :latest.",
    ),
]
PlatformOption = Annotated[
    str | None,
    typer.Option(
        "--platform",
        metavar="OS/ARCH",
        help="The index's image for this platform, not the index; a single image must be it.",
    ),
]


def open_image(app_state: AppState, text: str) -> tuple[ImageStore, Reference]:
    """The store IMAGE is read from, and its reference (the registry's host filled in)."""
    store, ref = open_end(text, None, what="image")
    with registry_errors():
        access = copy_access(app_state)
        found = open_end_side(access, "image", with_latest(ref), store, None, frozenset())
    return found.registry, found.ref


def inspection_view(result: ImageInspection) -> View:
    doc = result.to_json()
    rows: list[list[str]] = []
    text: list[list[str]] = []

    def add(label: str, shown: str, full: str | None = None, *, table: bool = True) -> None:
        if table:
            rows.append([label, shown])
        text.append([label, shown if full is None else full])

    # Digests are 71 characters: whole in the title, above the table, never cut.
    title = [result.reference, result.manifest.digest]
    add("reference", result.reference, table=False)
    add("digest", result.manifest.digest, table=False)
    add("media type", short_media_type(result.manifest.media_type), result.manifest.media_type)
    add("size", human_size(len(result.manifest.data)), str(len(result.manifest.data)))
    if result.index is not None:
        title.append(f"({result.platform} of index {result.index.digest})")
        add("index", result.index.digest, table=False)
        add("platform", cell(result.platform))
    for child in doc["platforms"]:
        add(
            "platform",
            f"{child['platform']}  {short_digest(child['digest'])}",
            f"{child['platform']}\t{child['digest']}",
        )
    config = doc["config"]
    if config:
        add("created", cell(config["created"]))
        arch = "/".join(
            str(x) for x in (config["os"], config["architecture"], config["variant"]) if x
        )
        add("os/arch", arch or "-")
        for key, label in (("entrypoint", "entrypoint"), ("cmd", "cmd")):
            value = config[key]
            add(label, " ".join(value) if isinstance(value, list) else cell(value))
        add("user", cell(config["user"]))
        add("working dir", cell(config["workingDir"]))
        for variable in config["env"]:
            add("env", str(variable))
        for name, value in config["labels"].items():
            add("label", f"{name}={value}")
    for layer in doc["layers"]:
        add(
            "layer",
            f"{short_digest(layer['digest'])}  {human_size(int(layer['size'] or 0))}  "
            f"{str(layer['mediaType'] or '').rsplit('.', 1)[-1]}",
            f"{layer['digest']}\t{layer['size']}\t{layer['mediaType']}",
        )
    for referrer in doc["referrers"]:
        kind = referrer["artifactType"] or referrer["mediaType"] or "-"
        add(
            "referrer",
            f"{short_digest(referrer['digest'])}  {kind}",
            f"{referrer['digest']}\t{kind}",
        )
    return View(doc=doc, headers=("field", "value"), rows=rows, text=text, title="\n".join(title))

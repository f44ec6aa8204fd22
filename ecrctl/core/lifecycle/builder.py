"""Correct policies for the common cases, from a few options instead of hand-written JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.lifecycle.model import Policy
from ecrctl.core.lifecycle.validate import parse_policy


def build_policy(
    *,
    keep_last: int | None = None,
    tag_prefixes: Sequence[str] = (),
    tag_patterns: Sequence[str] = (),
    expire_untagged_after: int | None = None,
) -> Policy:
    """Keep the N newest images (optionally only those tagged P... or matching GLOB), and/or
    expire untagged images DAYS after their push.

    The untagged rule comes first (priority 1); the keep-last rule second, so that a rule over
    all images (``tagStatus: any``) has the highest priority, as ECR requires.
    """
    if (tag_prefixes or tag_patterns) and keep_last is None:
        raise InvalidInput("--tag-prefix and --tag-pattern go with --keep-last N")
    if keep_last is None and expire_untagged_after is None:
        raise InvalidInput(
            "give a policy FILE, or --keep-last N and/or --expire-untagged-after DAYS"
        )
    if tag_prefixes and tag_patterns:
        raise InvalidInput(
            "give --tag-prefix or --tag-pattern, not both (ECR takes one list a rule)"
        )
    if keep_last is not None and keep_last < 1:
        raise InvalidInput(f"invalid --keep-last {keep_last}: keep at least 1 image")
    if expire_untagged_after is not None and expire_untagged_after < 1:
        raise InvalidInput(
            f"invalid --expire-untagged-after {expire_untagged_after}: at least 1 day"
        )
    rules: list[JsonObject] = []
    if expire_untagged_after is not None:
        rules.append(
            {
                "rulePriority": 1,
                "description": f"Expire untagged images {expire_untagged_after} days after push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": expire_untagged_after,
                },
                "action": {"type": "expire"},
            }
        )
    if keep_last is not None:
        selection: JsonObject = {"tagStatus": "any"}
        what = "images"
        if tag_prefixes:
            selection = {"tagStatus": "tagged", "tagPrefixList": list(tag_prefixes)}
            what = "images tagged " + " and ".join(f"{p}..." for p in tag_prefixes)
        elif tag_patterns:
            selection = {"tagStatus": "tagged", "tagPatternList": list(tag_patterns)}
            what = "images tagged " + " and ".join(tag_patterns)
        selection.update({"countType": "imageCountMoreThan", "countNumber": keep_last})
        rules.append(
            {
                "rulePriority": len(rules) + 1,
                "description": f"Keep the {keep_last} most recently pushed {what}",
                "selection": selection,
                "action": {"type": "expire"},
            }
        )
    return parse_policy(json.dumps({"rules": rules}, indent=2), "built from the options")

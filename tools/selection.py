"""Which resources a plan's selections pick, decided the way AWS Backup decides it (aws-backup-rules.md §1.6).

A resource selection picks a resource whose ARN matches one of ``resource_types`` (``*`` is a wildcard) and
none of ``not_resource_types``, and for which every condition on ``aws:ResourceTag/<key>`` holds
(conditions are ANDed; a negative condition holds when the tag is absent). A tag selection picks a resource
that carries the tag key with one of the values (case-sensitive).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from stackconfig.model import Conditions, ResourceSelection, Selections

__all__ = ["selecting"]

TAG_CONDITION_PREFIX = "aws:ResourceTag/"


@lru_cache(maxsize=512)
def _pattern(glob: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in glob.split("*")))


def _like(glob: str, value: str | None) -> bool:
    return value is not None and _pattern(glob).fullmatch(value) is not None


def _tag(tags: Mapping[str, str], condition_key: str) -> str | None:
    return (
        tags.get(condition_key.removeprefix(TAG_CONDITION_PREFIX))
        if condition_key.startswith(TAG_CONDITION_PREFIX)
        else None
    )


def _conditions_hold(conditions: Conditions, tags: Mapping[str, str]) -> bool:
    return (
        all(_tag(tags, key) == value for key, value in conditions.string_equals.items())
        and all(_tag(tags, key) != value for key, value in conditions.string_not_equals.items())
        and all(_like(value, _tag(tags, key)) for key, value in conditions.string_like.items())
        and not any(_like(value, _tag(tags, key)) for key, value in conditions.string_not_like.items())
    )


def _picks(selection: ResourceSelection, arn: str, tags: Mapping[str, str]) -> bool:
    return (
        any(_like(pattern, arn) for pattern in selection.resource_types)
        and not any(_like(pattern, arn) for pattern in selection.not_resource_types)
        and _conditions_hold(selection.conditions, tags)
    )


def selecting(selections: Selections, arn: str, tags: Mapping[str, str]) -> list[str]:
    """Names of the selections that pick the resource ``arn`` carrying ``tags``."""
    by_tag = [name for name, tag in selections.tags.items() if tags.get(tag.key) in tag.values]
    by_resource = [name for name, selection in selections.resources.items() if _picks(selection, arn, tags)]
    return sorted(by_tag + by_resource)

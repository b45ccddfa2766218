"""Whether an AWS Backup selection picks a resource (aws-backup-rules.md §1.6 and §2, API_BackupSelection).

A backup policy selection and a ``BackupSelection`` write the same ideas in two shapes: ARN patterns with
``*`` wildcards, tag conditions that must all hold, and tag lists of which one must match. Coverage checks
use these to tell which data stores no plan backs up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from .backup_policy import ParsedCondition, ParsedSelection

RESOURCE_TAG_PREFIX = "aws:ResourceTag/"
STRING_EQUALS = "string_equals"
STRING_NOT_EQUALS = "string_not_equals"
STRING_LIKE = "string_like"
STRING_NOT_LIKE = "string_not_like"


@lru_cache(maxsize=1024)
def _wildcard(pattern: str, single_character: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?" and single_character:
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


def arn_matches(pattern: str, arn: str) -> bool:
    """A selection ARN pattern: ``*`` matches any run of characters, ``"*"`` alone matches every resource."""
    return bool(_wildcard(pattern, False).match(arn))


def condition_matches(condition: ParsedCondition, tags: Mapping[str, str]) -> bool:
    """One ``aws:ResourceTag/<key>`` condition against a resource's tags (a missing tag never equals)."""
    tag = tags.get(condition.key.removeprefix(RESOURCE_TAG_PREFIX)) if _is_tag_key(condition.key) else None
    if condition.operator == STRING_EQUALS:
        return tag == condition.value
    if condition.operator == STRING_NOT_EQUALS:
        return tag != condition.value
    if condition.operator == STRING_LIKE:
        return tag is not None and bool(_wildcard(condition.value, True).match(tag))
    if condition.operator == STRING_NOT_LIKE:
        return tag is None or not _wildcard(condition.value, True).match(tag)
    return False


def _is_tag_key(key: str) -> bool:
    return key.startswith(RESOURCE_TAG_PREFIX) and len(key) > len(RESOURCE_TAG_PREFIX)


def _type_selected(patterns: Iterable[str], excluded: Iterable[str], arn: str) -> bool:
    return any(arn_matches(p, arn) for p in patterns) and not any(arn_matches(p, arn) for p in excluded)


def policy_selection_selects(selection: ParsedSelection, arn: str, tags: Mapping[str, str]) -> bool:
    """A backup policy selection: its tag (one of the values) or its resource types, and every condition."""
    if not all(condition_matches(condition, tags) for condition in selection.conditions):
        return False
    if selection.kind == "tags":
        return selection.tag_key is not None and tags.get(selection.tag_key) in selection.tag_values
    return _type_selected(selection.resource_types, selection.not_resource_types, arn)


def policy_selection_may_select(selection: ParsedSelection, arn: str) -> bool:
    """Whether some tagging of the resource would be selected: tag selections may pick any resource type."""
    return selection.kind == "tags" or _type_selected(selection.resource_types, selection.not_resource_types, arn)


def plan_selection_selects(
    *,
    resources: Iterable[str],
    not_resources: Iterable[str],
    tag_list: Iterable[tuple[str, str]],
    conditions: Iterable[ParsedCondition],
    arn: str,
    tags: Mapping[str, str],
) -> bool:
    """A ``BackupSelection``: (an ARN pattern or one ``ListOfTags`` entry) and every condition, minus exclusions.

    A selection made of conditions alone picks every resource whose tags satisfy them; an empty one picks nothing.
    """
    resources, tag_list, conditions = list(resources), list(tag_list), list(conditions)
    if any(arn_matches(p, arn) for p in not_resources):
        return False
    if not all(condition_matches(condition, tags) for condition in conditions):
        return False
    if not resources and not tag_list:
        return bool(conditions)
    return any(arn_matches(p, arn) for p in resources) or any(tags.get(key) == value for key, value in tag_list)

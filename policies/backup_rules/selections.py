"""Whether an AWS Backup selection picks a resource (aws-backup-rules.md §1.6 and §2, API_BackupSelection).

A backup policy selection and a ``BackupSelection`` write the same ideas in two shapes: ARN patterns with
``*`` wildcards, tag conditions that must all hold, and tag lists of which one must match. Coverage checks
use these to tell which data stores no plan backs up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from .backup_policy.parse import ParsedCondition, ParsedSelection
from .findings import Finding

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


# Tag keys and values as AWS documents them, and where a wildcard means something in a selection.
# Tagging rules: https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html ("Tag naming limits and
# requirements": keys 1-128 and values 0-256 Unicode characters; letters, numbers, spaces and _ . : / = + - @
# generally allowed, some services allow more; the aws: prefix is reserved for AWS's own tags).
# Conditions: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Conditions.html (StringLike and
# StringNotLike take "*" anywhere; StringEquals and StringNotEquals match exactly) and
# https://docs.aws.amazon.com/aws-backup/latest/devguide/assigning-resources-json.html (condition keys are
# aws:ResourceTag/<tag key>); a backup policy's tag_value list is exact matching too (ListOfTags: StringEquals,
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html).
TAG_KEY_MAX_CHARS = 128
TAG_VALUE_MAX_CHARS = 256
TAG_PUNCTUATION = "_.:/=+-@"
RESERVED_TAG_PREFIX = "aws:"
WILDCARD_OPERATORS = frozenset({STRING_LIKE, STRING_NOT_LIKE})


def _odd_characters(text: str, *, wildcard: bool) -> list[str]:
    allowed = TAG_PUNCTUATION + ("*" if wildcard else "")
    return sorted({c for c in text if not (c.isalnum() or c.isspace() or c in allowed)})


def check_tag_key(path: str, key: str, *, created_here: bool) -> list[Finding]:
    """A tag key a selection matches (``created_here``: one this stack puts on a plan or recovery point)."""
    if not key:
        return [Finding(path, key, "tag-key", "a tag key cannot be empty")]
    if len(key) > TAG_KEY_MAX_CHARS:
        return [Finding(path, key, "tag-key", f"a tag key is at most {TAG_KEY_MAX_CHARS} characters, got {len(key)}")]
    if created_here and key.lower().startswith(RESERVED_TAG_PREFIX):
        return [Finding(path, key, "tag-key", f"tag keys starting with {key[:4]!r} are reserved for AWS")]
    if key.lower().startswith(RESOURCE_TAG_PREFIX.lower()):
        # The condition-key form: no resource carries such a tag (users cannot create aws: keys, and AWS's own
        # tags are not named so), so the selection would match nothing.
        return [
            Finding(
                path,
                key,
                "tag-key",
                f"{key!r} is the condition-key form; a tag selection names the tag key itself: write "
                f"{key[len(RESOURCE_TAG_PREFIX) :]!r}",
            )
        ]
    odd = _odd_characters(key, wildcard=False)
    if odd:
        return [
            Finding(
                path,
                key,
                "tag-characters",
                f"tag key {key!r} has {', '.join(map(repr, odd))}: AWS allows letters, digits, spaces and "
                f"{' '.join(TAG_PUNCTUATION)} in tags generally (some services allow more)",
                "warning",
            )
        ]
    return []


def check_tag_value(path: str, value: str, *, wildcard: bool) -> list[Finding]:
    """A tag value; ``wildcard``: compared with StringLike/StringNotLike, where ``*`` matches any run."""
    if len(value) > TAG_VALUE_MAX_CHARS:
        return [
            Finding(
                path,
                value,
                "tag-value",
                f"a tag value is at most {TAG_VALUE_MAX_CHARS} characters, got {len(value)}: it matches no resource",
            )
        ]
    if not wildcard and "*" in value:
        return [
            Finding(
                path,
                value,
                "tag-value-wildcard",
                f"{value!r} is compared exactly here: '*' is a literal character, not a wildcard, so it matches "
                "no tag value AWS allows; use string_like (a condition) to match by pattern",
            )
        ]
    odd = _odd_characters(value, wildcard=wildcard)
    if odd:
        return [
            Finding(
                path,
                value,
                "tag-characters",
                f"tag value {value!r} has {', '.join(map(repr, odd))}: AWS allows letters, digits, spaces and "
                f"{' '.join(TAG_PUNCTUATION)} in tags generally (some services allow more)",
                "warning",
            )
        ]
    return []


def check_condition(path: str, operator: str, key: str, value: str) -> list[Finding]:
    """One selection condition: its key is ``aws:ResourceTag/<tag key>`` and its value fits its operator."""
    if not key.startswith(RESOURCE_TAG_PREFIX) or not _is_tag_key(key):
        return [
            Finding(
                path,
                key,
                "condition-key",
                f"condition key {key!r} is not aws:ResourceTag/<tag key>, the only key backup selections support",
            )
        ]
    tag_key = key.removeprefix(RESOURCE_TAG_PREFIX)
    if "*" in tag_key:
        return [
            Finding(path, key, "condition-key", f"{key!r}: a tag key in a condition is exact, '*' is no wildcard there")
        ]
    return check_tag_key(path, tag_key, created_here=False) + check_tag_value(
        path, value, wildcard=operator in WILDCARD_OPERATORS
    )

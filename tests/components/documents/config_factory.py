"""Valid ``StackConfig`` objects for document-builder tests, built the way the loader builds them."""

from __future__ import annotations

import copy
from typing import Any

from stackconfig.model import StackConfig

ORG_ID = "o-a1b2c3d4e5"
ROOT_ID = "r-ab12"
OU_ID = "ou-ab12-34cd56ef"
OTHER_OU_ID = "ou-ab12-78ab90cd"
MANAGEMENT_ACCOUNT = "999988887777"
ADMIN_ACCOUNT = "222233334444"
CENTRAL_ACCOUNT = "111122223333"
MEMBER_ACCOUNT = "444455556666"

REPLACED_SECTIONS = frozenset({"plans"})
"""Sections an override replaces whole instead of merging into, because merging would keep default entries."""


def base_config() -> dict[str, Any]:
    """A small, valid stack: one OU, one daily tag-selected plan with a copy to the central vault."""
    return {
        "organization": {
            "id": ORG_ID,
            "root_id": ROOT_ID,
            "management_account_id": MANAGEMENT_ACCOUNT,
            "backup_admin_account_id": ADMIN_ACCOUNT,
            "central_vault_account_id": CENTRAL_ACCOUNT,
            "workload_regions": ["eu-west-1", "eu-central-1"],
            "dr_regions": ["eu-north-1"],
        },
        "targets": {"organizational_units": [{"name": "workloads", "id": OU_ID}]},
        "vaults": {
            "member": {
                "name": "org-backup",
                "lock": {"mode": "governance", "min_retention_days": 7, "max_retention_days": 3650},
            },
            "central": {
                "name": "org-backup-central",
                "lock": {"mode": "governance", "min_retention_days": 7, "max_retention_days": 3650},
            },
        },
        "plans": {
            "daily": {
                "rules": {
                    "daily": {
                        "schedule": "daily",
                        "retention_days": 35,
                        "copies": [{"region": "eu-north-1", "retention_days": 35}],
                    }
                },
                "selections": {"tags": {"backup-daily": {"key": "backup", "values": ["daily"]}}},
            }
        },
    }


def merge(base: dict[str, Any], overrides: dict[str, Any], *, top_level: bool = True) -> dict[str, Any]:
    """Nested dicts merge key by key; anything else, and the sections in ``REPLACED_SECTIONS``, replaces."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        replace = top_level and key in REPLACED_SECTIONS
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not replace:
            out[key] = merge(out[key], value, top_level=False)
        else:
            out[key] = copy.deepcopy(value)
    return out


def make_config(**overrides: Any) -> StackConfig:
    """``base_config()`` with ``overrides`` merged in, validated by the real model."""
    return StackConfig.model_validate(merge(base_config(), overrides))

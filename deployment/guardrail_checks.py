"""Loader checks of the ``guardrail`` section: the SCPs fit AWS's limits before any resource is registered.

Hooked into ``checks.check_config``; the AWS limits live in ``policies.backup_rules.guardrail``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from components.documents.guardrail_scp import GuardrailError, exempt_role_names, guardrail_scp_documents
from policies.backup_rules.findings import Finding
from policies.backup_rules.guardrail import (
    DEFAULT_SCPS_ATTACHED_ELSEWHERE,
    MAX_SCPS_PER_TARGET,
    SCP_EFFECTS_URL,
    SCPS_PER_TARGET,
    attachment_count_findings,
)
from stackconfig.model import Guardrail, StackConfig

_TARGET_ID = re.compile(r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|[0-9]{12})\Z")
_NEEDED = ("organization", "targets", "vaults", "plans")


def check_guardrail(parsed: Mapping[str, Any]) -> list[Finding]:
    """Every guardrail mistake at its path; runs only when the sections the SCP is built from parsed."""
    guardrail: Guardrail | None = parsed.get("guardrail", Guardrail())
    if guardrail is None or any(parsed.get(name) is None for name in _NEEDED):
        return []
    config = StackConfig.model_construct(**{k: v for k, v in parsed.items() if v is not None})
    if not guardrail.enabled:
        return [
            Finding(
                "guardrail.enabled",
                False,
                "guardrail-disabled",
                "without the guardrail SCP a member-account administrator can rewrite the vault access policy, "
                "remove a governance lock, disable or delete the backup key and take over exempt role names",
                severity="warning",
            )
        ]
    out = _ids(guardrail)
    backup_role = config.vaults.backup_role_name
    if backup_role in exempt_role_names(config):
        out.append(
            Finding(
                "guardrail.extra_exempt_role_names",
                backup_role,
                "guardrail-exempt-backup-role",
                "the backup role cannot be exempt: whoever can pass it to a job would escape the guardrail",
            )
        )
    try:
        documents = guardrail_scp_documents(config)
    except GuardrailError as exc:
        return [*out, Finding("guardrail", None, "guardrail-size", str(exc))]
    targets = [*guardrail.policies_attached_elsewhere, *_default_target()]
    out += attachment_count_findings(
        "guardrail.policies_attached_elsewhere", len(documents), _counts(guardrail), targets
    )
    management = config.organization.management_account_id
    if management in config.targets.accounts:
        out.append(
            Finding(
                "targets.accounts",
                management,
                "guardrail-management-account",
                f"SCPs never apply to the management account ({SCP_EFFECTS_URL}): nothing stops its administrators "
                "from changing its vault; the guardrail is not attached there",
                severity="warning",
            )
        )
    return out


_ANY_TARGET = "any target not listed"


def _default_target() -> list[str]:
    return [_ANY_TARGET]


def _counts(guardrail: Guardrail) -> dict[str, int]:
    return {**guardrail.policies_attached_elsewhere, _ANY_TARGET: DEFAULT_SCPS_ATTACHED_ELSEWHERE}


def _ids(guardrail: Guardrail) -> list[Finding]:
    out = []
    for target, count in sorted(guardrail.policies_attached_elsewhere.items()):
        if not _TARGET_ID.match(target):
            out.append(
                Finding(
                    f"guardrail.policies_attached_elsewhere.{target}",
                    target,
                    "guardrail-target-id",
                    "must be a root id (r-...), an OU id (ou-...) or a 12-digit account id",
                )
            )
        elif count > MAX_SCPS_PER_TARGET:
            out.append(
                Finding(
                    f"guardrail.policies_attached_elsewhere.{target}",
                    count,
                    SCPS_PER_TARGET,
                    f"AWS allows at most {MAX_SCPS_PER_TARGET} SCPs attached to one target",
                )
            )
    return out

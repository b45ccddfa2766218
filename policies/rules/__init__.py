"""The org-backup CrossGuard rules, one module per domain; ``ALL_POLICIES`` is what the pack serves."""

from __future__ import annotations

from pulumi_policy import Policy

from . import (
    access,
    air_gapped,
    audit,
    central_copy,
    copies,
    coverage,
    guardrail,
    hygiene,
    inheritance,
    kms,
    org_policies,
    org_setup,
    scanning,
    stacksets,
    vaults,
)

DOMAINS = (
    vaults,
    air_gapped,
    central_copy,
    kms,
    org_policies,
    org_setup,
    inheritance,
    copies,
    audit,
    hygiene,
    coverage,
    scanning,
    stacksets,
    guardrail,
    access,
)
ALL_POLICIES: list[Policy] = [policy for domain in DOMAINS for policy in domain.POLICIES]

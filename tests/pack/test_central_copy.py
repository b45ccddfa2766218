"""backup-central-vault-copy-backup-role-only on what the program registers: prod passes; a central vault policy
edited to admit the organization fails, under the loader's rule id; member vaults (which admit the central
account) are not central vaults."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from pulumi_policy import EnforcementLevel, Severity

from org_backup.preview.offline import load_stack_config, run_program
from policies.backup_rules.central_copy import CENTRAL_COPY_RULE
from policies.backup_rules.levels import SHARED_RULES
from rules import ALL_POLICIES
from rules import central_copy as rules
from tests.pack.harness import UNKNOWN_STRING, Spec, assert_rule_metadata, by_name, run_stack, specs_from_run

RULE = by_name(rules.POLICIES, "backup-central-vault-copy-backup-role-only")
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
ORG_WIDE = {
    "Sid": "TeamCopies",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "backup:CopyIntoBackupVault",
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
}


@pytest.fixture(scope="module", params=["prod", "staging"])
def specs(request: pytest.FixtureRequest) -> list[Spec]:
    return specs_from_run(run_program(load_stack_config(request.param), stack=request.param).resources)


def _central_policies(specs: list[Spec]) -> list[Spec]:
    """The copy destinations' policies. A central air-gapped vault's policy denies CopyIntoBackupVault to all but
    the exempt roles, so an added Allow opens nothing there and the rule rightly stays quiet."""
    return [s for s in specs if s.type == VAULT_POLICY and "central" in s.name and "air-gapped" not in s.name]


def _edited(specs: list[Spec], edit) -> list[Spec]:
    central = {s.urn for s in _central_policies(specs)}
    return [replace(s, props={**s.props, "policy": edit(s.props["policy"])}) if s.urn in central else s for s in specs]


def test_metadata_and_the_shared_level() -> None:
    assert_rule_metadata(ALL_POLICIES, RULE.name, EnforcementLevel.MANDATORY, Severity.HIGH)
    assert SHARED_RULES[CENTRAL_COPY_RULE][0] == RULE.name


def test_the_generated_stacks_pass_and_know_their_backup_role(specs: list[Spec]) -> None:
    assert _central_policies(specs), "the stack registers central vault policies"
    assert run_stack(RULE, specs) == []


def test_a_central_vault_policy_that_admits_the_organization_fails(specs: list[Spec]) -> None:
    def add(policy: str) -> str:
        document = json.loads(policy)
        document["Statement"].append(ORG_WIDE)
        return json.dumps(document)

    found = run_stack(RULE, _edited(specs, add))
    assert len(found) == len(_central_policies(specs))
    assert all(f"[{CENTRAL_COPY_RULE}]" in message and "any principal" in message for _, message in found)


def test_an_unknown_central_vault_policy_fails_closed(specs: list[Spec]) -> None:
    found = run_stack(RULE, _edited(specs, lambda _: UNKNOWN_STRING))
    assert found and all("not known during preview" in message for _, message in found)


FROM_TARGETS = by_name(rules.POLICIES, "backup-central-vault-copy-from-targets")


def test_the_generated_central_vaults_name_their_sources(specs: list[Spec]) -> None:
    """Security review F4: the generated stacks pass; the policy before it (organization-wide) fails."""
    assert_rule_metadata(ALL_POLICIES, FROM_TARGETS.name, EnforcementLevel.MANDATORY, Severity.HIGH)
    assert run_stack(FROM_TARGETS, specs) == []

    def organization_wide(policy: str) -> str:
        document = json.loads(policy)
        for statement in document["Statement"]:
            if statement["Effect"] == "Allow":
                statement["Condition"].pop("ForAnyValue:StringLike", None)
                statement["Condition"]["StringEquals"].pop("aws:PrincipalAccount", None)
        return json.dumps(document)

    found = run_stack(FROM_TARGETS, _edited(specs, organization_wide))
    assert found and all("whole organization" in message for _, message in found)
    unknown = run_stack(FROM_TARGETS, _edited(specs, lambda _: UNKNOWN_STRING))
    assert unknown and all("not known" in message for _, message in unknown)

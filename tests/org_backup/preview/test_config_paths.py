"""Each violation names the stack-file key to change, and SARIF finds that key's line."""

from __future__ import annotations

import pytest

from org_backup.preview.model import ConfigPlaces, config_path
from org_backup.preview.offline import RecordedResource
from org_backup.preview.sarif import key_lines, line_of
from tests.org_backup.preview.helpers import recorded, rule_named

PLACES = ConfigPlaces(
    policies={
        "org-backup-aaaa-1": "plans.daily",
        "org-backup-bbbb-1": "plans",
        "org-backup-custom-scratch": "backup_policies.custom.scratch",
    },
    backup_role_name="OrgBackupServiceRole",
)
ARN = "arn:aws:backup:us-west-2:333333333333:backup-vault:org-backup-central"


def chain(*resources: RecordedResource) -> list[RecordedResource]:
    """The resource first, then its parents (as ``locate`` walks them)."""
    return list(reversed(resources))


def vault_chain(owner: str, leaf_type: str, **inputs: str) -> list[RecordedResource]:
    top = recorded(owner, "owner", custom=False)
    locked = recorded("org-backup:vault:LockedVault", "locked", parent=top, custom=False)
    return chain(top, locked, recorded(leaf_type, "leaf", parent=locked, inputs=inputs))


def org_policy_chain(name: str, attachment: bool = False) -> list[RecordedResource]:
    top = recorded("org-backup:backup_policies:BackupPolicies", "backup-policies", custom=False)
    policy = recorded("aws:organizations/policy:Policy", name, parent=top)
    if attachment:
        return chain(top, policy, recorded("aws:organizations/policyAttachment:PolicyAttachment", "a", parent=policy))
    return chain(top, policy)


MEMBER = "org-backup:member_account:MemberAccount"
CENTRAL = "org-backup:central_vaults:CentralVaults"


@pytest.mark.parametrize(
    ("resources", "policy", "message", "expected"),
    [
        (vault_chain(MEMBER, "aws:backup/vault:Vault"), "backup-every-vault-locked", "no lock", "vaults.member.lock"),
        (
            vault_chain(MEMBER, "aws:backup/vault:Vault"),
            "backup-vault-no-force-destroy",
            "x",
            "vaults.member.force_destroy",
        ),
        (vault_chain(MEMBER, "aws:backup/vaultPolicy:VaultPolicy"), "any", "x", "vaults.member"),
        (
            vault_chain(CENTRAL, "aws:backup/vaultLockConfiguration:VaultLockConfiguration"),
            "any",
            "x",
            "vaults.central.lock",
        ),
        (vault_chain(CENTRAL, "aws:kms/key:Key"), "any", "x", "vaults.central.key"),
        (vault_chain(MEMBER, "aws:iam/role:Role", name="OrgBackupServiceRole"), "any", "x", "vaults.backup_role_name"),
        (vault_chain(MEMBER, "aws:iam/role:Role", name="org-backup-event-forwarding"), "any", "x", "alerting"),
        (vault_chain(MEMBER, "aws:backup/framework:Framework"), "any", "x", "audit"),
        (vault_chain("org-backup:audit:AuditReporting", "aws:s3/bucket:Bucket"), "any", "x", "audit"),
        (
            vault_chain("org-backup:member_stackset:MemberStackSet", "aws:cloudformation/stackSet:StackSet"),
            "any",
            "x",
            "member_deployment",
        ),
        (
            vault_chain("org-backup:organization:OrganizationSettings", "aws:backup/globalSettings:GlobalSettings"),
            "any",
            "x",
            "organization",
        ),
        (org_policy_chain("org-backup-aaaa-1"), "any", "the policy is too large", "plans.daily"),
        (
            org_policy_chain("org-backup-aaaa-1"),
            "any",
            "plans.daily.rules.daily.lifecycle.delete_after_days: 100 must be >= 30 + 90",
            "plans.daily.rules.daily",
        ),
        (
            org_policy_chain("org-backup-aaaa-1"),
            "any",
            f"plans.daily.rules.daily.copy_actions.{ARN}: the destination vault has no Vault Lock",
            "plans.daily.rules.daily.copies",
        ),
        (org_policy_chain("org-backup-aaaa-1"), "any", "plans.daily.selections.tags.t: bad", "plans.daily.selections"),
        (org_policy_chain("org-backup-bbbb-1"), "any", "no attachment", "plans"),
        (
            org_policy_chain("org-backup-custom-scratch", attachment=True),
            "any",
            "x",
            "backup_policies.custom.scratch.targets",
        ),
        (
            org_policy_chain("org-backup-custom-scratch"),
            "any",
            f"plans.p.rules.r.copy_actions.{ARN}: not a vault of this stack",
            f"backup_policies.custom.scratch.content.plans.p.rules.r.copy_actions.{ARN}",
        ),
        ([], "any", "plans.weekly.rules.weekly: no copy", "plans.weekly.rules.weekly"),
        ([], "backup-report-plan", "no report plan references a framework", "audit"),
        ([], "any", "the stack has no delegated administrator", None),
    ],
)
def test_violations_map_to_the_key_to_change(resources, policy, message, expected):
    assert config_path(resources, rule_named(policy), message, PLACES) == expected


STACK_FILE = f"""# comment
config:
  aws:region: us-east-1
  org-backup:vaults:
    member:
      name: org-backup
      lock: null
  org-backup:backup_policies:
    custom:
      scratch:
        targets: [prod, "444444444401"]
        content:
          plans:
            p:
              rules:
                r:
                  copy_actions:
                    "{ARN}":
                      lifecycle: {{}}
"""


def test_lines_come_from_the_yaml_keys_with_fallbacks():
    lines = key_lines(STACK_FILE)

    assert line_of(lines, "vaults.member.lock") == 7
    assert line_of(lines, "vaults.member.lock.min_retention_days") == 7
    assert line_of(lines, "vaults.central.lock") == 4
    assert line_of(lines, "backup_policies.custom.scratch.targets[1]") == 11
    assert line_of(lines, f"backup_policies.custom.scratch.content.plans.p.rules.r.copy_actions.{ARN}") == 18
    assert line_of(lines, "plans.daily") == 1
    assert line_of(lines, None) == 1
    assert key_lines(": not yaml: [") == {}

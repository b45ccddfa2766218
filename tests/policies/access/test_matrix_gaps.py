"""The security review's matrix gaps, on hand-written documents: letter case, ...IfExists, cross-account KMS, the
backup role's real cross-account copy (F9), existing exempt roles taken by AssumeRole/PassRole (F8), and the new
principal and action classes."""

from __future__ import annotations

import json
from typing import Any

from policies.access import analyse
from policies.access.evaluator import Principal, Request, decide
from policies.access.principals import ADMINISTRATOR_ACCESS, TRUST_NOTE
from tests.policies.access.test_evaluator import ACCOUNT, DENY_DELETE, ORG, ROOT_KEY_ADMIN, R, doc, member_stack

CENTRAL = "333333333333"
REGION = "us-west-2"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/Admin"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/BackupBreakGlass"


def admin(scps: tuple[str, ...] | None = None) -> Principal:
    return Principal(ADMIN, ORG, None, (ADMINISTRATOR_ACCESS,), scps)


RESERVED = doc(
    {
        "Sid": "DenyReservedRoleChanges",
        "Effect": "Deny",
        "Action": ["iam:UpdateAssumeRolePolicy"],
        "Resource": ["arn:aws:iam::*:role/BackupBreakGlass"],
    }
)


def test_a_deny_that_matches_only_ignoring_case_does_not_deny_and_is_not_exact():
    """AWS matches Resource case-sensitively (reference_policies_elements_condition_operators.html#Conditions_ARN);
    IAMSpy lower-cases. The request spelt in another case is not denied for certain."""
    same = decide(Request(admin((RESERVED,)), "iam:UpdateAssumeRolePolicy", ROLE_ARN))
    assert not same.allowed and same.exact and same.decided_by == ("SCP: DenyReservedRoleChanges",)
    other = decide(Request(admin((RESERVED,)), "iam:UpdateAssumeRolePolicy", ROLE_ARN.lower()))
    assert other.allowed and not other.exact


def test_a_positive_arn_like_in_a_deny_is_case_sensitive_too():
    deny = doc(
        {
            "Sid": "DenyBreakGlassByArn",
            "Effect": "Deny",
            "Action": "backup:DeleteRecoveryPoint",
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/backupbreakglass"]}},
        }
    )
    principal = Principal(ROLE_ARN, ORG, None, (ADMINISTRATOR_ACCESS,), (deny,))
    decision = decide(Request(principal, "backup:DeleteRecoveryPoint", f"arn:aws:backup:{REGION}:{ACCOUNT}:vault:v"))
    assert decision.allowed and not decision.exact


def test_if_exists_is_true_when_the_key_is_absent():
    """BoolIfExists on an absent key: the condition holds (Conditions_IfExists), so the Deny applies, exactly."""
    deny = doc(
        {
            "Sid": "DenyDirectRevoke",
            "Effect": "Deny",
            "Action": "kms:RevokeGrant",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}},
        }
    )
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
    direct = decide(Request(admin((deny,)), "kms:RevokeGrant", key, (("key policy", doc(ROOT_KEY_ADMIN)),), True))
    assert not direct.allowed and direct.exact
    via_service = decide(
        Request(
            admin((deny,)),
            "kms:RevokeGrant",
            key,
            (("key policy", doc({**ROOT_KEY_ADMIN, "Action": ["kms:RevokeGrant"]})),),
            True,
            (("kms:grantisforawsresource", "true"),),
        )
    )
    assert via_service.allowed and via_service.exact


def test_a_key_of_another_account_needs_the_callers_own_allow_too():
    key = f"arn:aws:kms:{REGION}:{CENTRAL}:key/k"
    policy = doc({"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*"})
    assert decide(Request(admin(), "kms:Encrypt", key, (("key policy", policy),), True)).allowed
    bare = Principal(ADMIN, ORG)
    assert not decide(Request(bare, "kms:Encrypt", key, (("key policy", policy),), True)).allowed


# --------------------------------------------------------------------------- the copy into a central vault (F9)

BACKUP_ROLE = "OrgBackupServiceRole"
TRUST_BACKUP = doc({"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"})


def vault_policy(*, account_condition: str = "*") -> str:
    return doc(
        {
            "Sid": "AllowCopyIntoVaultFromOrganization",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
            "Condition": {
                "ArnLike": {"aws:PrincipalArn": [f"arn:aws:iam::{account_condition}:role/{BACKUP_ROLE}"]},
                "StringEquals": {"aws:PrincipalOrgID": ORG},
            },
        }
    )


def key_policy(*, via: str = f"backup.{REGION}.amazonaws.com") -> str:
    return doc(
        {
            "Sid": "AllowOrganizationBackupToUseKey",
            "Effect": "Allow",
            "Principal": "*",
            "Action": [
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:ReEncryptTo",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG, "kms:ViaService": [via]}},
        }
    )


def central_stack(
    *, vault: str | None = None, key: str | None = None, member_scp: str | None = None, locked: bool = True
) -> list[Any]:
    def at(r: R, account: str, region: str = REGION) -> R:
        return R(r.type, r.name, r.props, account, region, r.parent_urn, r.property_dependencies)

    out = [
        at(
            R(
                "aws:backup/vault:Vault",
                "central",
                {"name": "org-backup-central", "tags": {"org-backup:role": "central-copy-destination"}},
            ),
            CENTRAL,
        ),
        at(
            R(
                "aws:backup/vaultPolicy:VaultPolicy",
                "central-policy",
                {"backupVaultName": "org-backup-central", "policy": vault or vault_policy()},
            ),
            CENTRAL,
        ),
        at(
            R(
                "aws:kms/key:Key",
                "central-key",
                {
                    "policy": key or key_policy(),
                    "tags": {"org-backup:backup-key": "true", "org-backup:role": "central-copy-destination"},
                },
            ),
            CENTRAL,
        ),
        at(R("aws:iam/role:Role", "backup-role", {"name": BACKUP_ROLE, "assumeRolePolicy": TRUST_BACKUP}), ACCOUNT),
    ]
    if locked:
        out.append(
            at(
                R(
                    "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
                    "central-lock",
                    {"backupVaultName": "org-backup-central", "changeableForDays": 3},
                ),
                CENTRAL,
            )
        )
    if member_scp:
        out += [
            R(
                "aws:organizations/policy:Policy",
                "scp",
                {"type": "SERVICE_CONTROL_POLICY", "content": member_scp},
                account="111111111111",
            ),
            R(
                "aws:organizations/policyAttachment:PolicyAttachment",
                "scp-a",
                {"targetId": ACCOUNT},
                account="111111111111",
                parent_urn="urn:aws:organizations/policy:Policy::scp",
            ),
        ]
    return out


VAULT_LABEL = f"{CENTRAL} {REGION}: vault org-backup-central"
KEY_LABEL = f"{CENTRAL} {REGION}: key of vault org-backup-central"
SOURCE = f"backup role {BACKUP_ROLE} of {ACCOUNT}"


def test_the_member_backup_role_copy_into_the_central_vault_is_evaluated_and_holds():
    matrix = analyse(central_stack())
    copy = matrix.cell(VAULT_LABEL, "copy into the vault", SOURCE)
    assert copy.required and copy.allowed and copy.exact and not copy.attacker
    assert "vault access policy: AllowCopyIntoVaultFromOrganization" in copy.decided_by
    use = matrix.cell(KEY_LABEL, "encrypt copies (via AWS Backup)", SOURCE)
    assert use.required and use.allowed and "key policy: AllowOrganizationBackupToUseKey" in use.decided_by
    assert matrix.broken() == []


def test_a_key_admitting_the_wrong_service_endpoint_breaks_the_copy():
    """The non-regional ``backup.amazonaws.com`` never matches kms:ViaService (it is regional)."""
    matrix = analyse(central_stack(key=key_policy(via="backup.amazonaws.com")))
    use = matrix.cell(KEY_LABEL, "encrypt copies (via AWS Backup)", SOURCE)
    assert use.broken and "copies from this account would fail" in use.reason
    assert [c.principal for c in matrix.broken()] == [SOURCE]


def test_an_scp_of_the_source_account_that_denies_the_copy_breaks_it():
    deny = doc({"Sid": "DenyCopies", "Effect": "Deny", "Action": "backup:CopyIntoBackupVault", "Resource": "*"})
    cell = analyse(central_stack(member_scp=deny)).cell(VAULT_LABEL, "copy into the vault", SOURCE)
    assert cell.broken and cell.decided_by == ("SCP: DenyCopies",)


def test_copying_into_a_compliance_locked_vault_is_destructive_for_anyone_but_a_targeted_backup_role():
    """F4: any organization account can create a role named like the backup role."""
    locked = analyse(central_stack())
    squat = locked.cell(VAULT_LABEL, "copy into the vault", f"other organization account as {BACKUP_ROLE}")
    assert squat.open_to_attacker and squat.destructive
    narrowed = analyse(central_stack(vault=vault_policy(account_condition=ACCOUNT)))
    assert not narrowed.cell(VAULT_LABEL, "copy into the vault", f"other organization account as {BACKUP_ROLE}").allowed
    assert narrowed.cell(VAULT_LABEL, "copy into the vault", SOURCE).allowed
    governance = analyse(central_stack(locked=False))
    same = governance.cell(VAULT_LABEL, "copy into the vault", f"other organization account as {BACKUP_ROLE}")
    assert same.allowed and not same.destructive


def test_an_administrator_passing_the_real_backup_role_copies_in_unless_the_scp_denies_the_pass():
    """F4 (a): a copy job run as the real role; StartCopyJob has no condition on the destination, the pass is what
    can be denied."""
    name = f"account administrator of {ACCOUNT} passing {BACKUP_ROLE}"
    assert analyse(central_stack()).cell(VAULT_LABEL, "copy into the vault", name).open_to_attacker
    deny_pass = doc(
        {
            "Sid": "DenyPassBackupRole",
            "Effect": "Deny",
            "Action": "iam:PassRole",
            "Resource": f"arn:aws:iam::*:role/{BACKUP_ROLE}",
        }
    )
    closed = analyse(central_stack(member_scp=deny_pass)).cell(VAULT_LABEL, "copy into the vault", name)
    assert not closed.allowed and closed.decided_by == ("SCP: DenyPassBackupRole",)


# --------------------------------------------------------------------------- existing exempt roles (F8)


def test_an_scp_that_forbids_creating_but_not_assuming_the_exempt_role_leaves_the_cell_depending_on_its_trust():
    create_only = doc(
        {
            "Sid": "DenyReservedRoleNames",
            "Effect": "Deny",
            "Action": ["iam:CreateRole", "iam:UpdateAssumeRolePolicy"],
            "Resource": ["arn:aws:iam::*:role/BackupBreakGlass"],
        }
    )
    where = f"{ACCOUNT} us-east-1: vault org-backup"
    cell = analyse(member_stack(key_policy=doc(ROOT_KEY_ADMIN), scp=create_only)).cell(
        where, "delete recovery points", "account administrator as BackupBreakGlass"
    )
    assert not cell.allowed and not cell.exact
    assert TRUST_NOTE in cell.reason and "sts:AssumeRole and iam:PassRole" in cell.reason
    everything = doc(
        {
            "Sid": "DenyReservedRoleNames",
            "Effect": "Deny",
            "Action": ["iam:CreateRole", "iam:UpdateAssumeRolePolicy", "iam:PassRole", "sts:AssumeRole"],
            "Resource": ["arn:aws:iam::*:role/BackupBreakGlass", "arn:aws:iam::*:role/backupbreakglass"],
        }
    )
    closed = analyse(member_stack(key_policy=doc(ROOT_KEY_ADMIN), scp=everything)).cell(
        where, "delete recovery points", "account administrator as BackupBreakGlass"
    )
    assert not closed.allowed and closed.exact and closed.reason.endswith("nor assume or pass it")


def test_disassociating_from_the_parent_is_a_way_to_delete_recovery_points():
    stack = member_stack(key_policy=doc(ROOT_KEY_ADMIN))
    without = {**DENY_DELETE, "Action": [a for a in DENY_DELETE["Action"] if "FromParent" not in a]}
    stack[1] = R(
        "aws:backup/vaultPolicy:VaultPolicy", "policy", {"backupVaultName": "org-backup", "policy": doc(without)}
    )
    cell = analyse(stack).cell(
        f"{ACCOUNT} us-east-1: vault org-backup", "delete recovery points", "account administrator"
    )
    assert cell.open_to_attacker


def test_the_delegated_admin_and_management_accounts_are_their_own_classes():
    stack = [
        *member_stack(key_policy=doc(ROOT_KEY_ADMIN)),
        R(
            "aws:organizations/delegatedAdministrator:DelegatedAdministrator",
            "delegated",
            {"accountId": "222222222222", "servicePrincipal": "backup.amazonaws.com"},
            account="111111111111",
        ),
        R(
            "aws:organizations/awsServiceAccess:AwsServiceAccess",
            "access",
            {"servicePrincipal": "backup.amazonaws.com"},
            account="111111111111",
        ),
        R(
            "aws:organizations/policy:Policy",
            "backup-policy",
            {"type": "BACKUP_POLICY", "name": "org-backup-1", "content": json.dumps({"plans": {}})},
            account="222222222222",
        ),
        R(
            "pulumi-python:dynamic:Resource",
            "delegation",
            {
                "management_account_id": "111111111111",
                "content": doc(
                    {
                        "Sid": "Manage",
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                        "Action": ["organizations:UpdatePolicy"],
                        "Resource": f"arn:aws:organizations::111111111111:policy/{ORG}/backup_policy/*",
                    }
                ),
            },
            account="111111111111",
        ),
    ]
    matrix = analyse(stack)
    label = "organization: backup policy org-backup-1"
    delegated = matrix.cell(label, "change backup policies", "delegated backup-admin account administrator")
    assert delegated.allowed and delegated.weakening_open and not delegated.open_to_attacker
    assert "backup-policy policy: Manage" in delegated.decided_by
    root = matrix.cell(label, "change backup policies", "management account administrator")
    assert root.allowed and not root.attacker
    assert not matrix.cell(label, "change backup policies", "other organization account").allowed

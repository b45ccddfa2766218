"""Security F3: the key of a compliance-locked central vault cannot be disabled or scheduled for deletion by anyone.

A compliance lock stops the deletion of recovery points, not of the key that encrypts the copies
(https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption); a deleted key makes them
unreadable for good after the 7-day waiting period (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html).
"""

from __future__ import annotations

from components.documents import kms
from tests.components.documents.helpers import as_list, by_sid, is_allowed

ORG = "o-a1b2c3d4e5"
CENTRAL = "111122223333"
REGION = "eu-west-2"
BREAK_GLASS = f"arn:aws:iam::{CENTRAL}:role/BackupBreakGlass"
DEPLOY = f"arn:aws:iam::{CENTRAL}:role/OrganizationAccountAccessRole"


def central(*, compliance_locked: bool) -> dict:
    return kms.central_backup_key_policy(
        account_id=CENTRAL,
        region=REGION,
        organization_id=ORG,
        break_glass_role_arns=[BREAK_GLASS, DEPLOY],
        compliance_locked=compliance_locked,
    )


def test_a_compliance_locked_central_key_denies_disable_and_deletion_to_every_principal():
    doc = central(compliance_locked=True)
    deny = by_sid(doc)["DenyKeyDisableAndDeletionToEveryone"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Resource"] == "*"
    assert set(as_list(deny["Action"])) == {"kms:DisableKey", "kms:ScheduleKeyDeletion"}
    assert "Condition" not in deny, "no exemption: not even break-glass or the deploy role"
    for who in (BREAK_GLASS, DEPLOY, f"arn:aws:iam::{CENTRAL}:root"):
        for action in ("kms:DisableKey", "kms:ScheduleKeyDeletion"):
            assert not is_allowed(doc, action=action, principal_arn=who), (who, action)


def test_the_deployer_keeps_put_key_policy_so_kms_lockout_check_accepts_the_policy():
    """KMS refuses a policy that stops its caller from calling PutKeyPolicy again
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html); the deployer is exempt from the
    PutKeyPolicy Deny and the compliance Deny leaves PutKeyPolicy out. That is also the residual path (root of trust)."""
    doc = central(compliance_locked=True)
    assert is_allowed(doc, action="kms:PutKeyPolicy", principal_arn=DEPLOY)
    assert is_allowed(doc, action="kms:PutKeyPolicy", principal_arn=BREAK_GLASS)
    assert not is_allowed(doc, action="kms:PutKeyPolicy", principal_arn=f"arn:aws:iam::{CENTRAL}:role/Admin")
    # Undoing a mistake stays possible.
    assert is_allowed(doc, action="kms:CancelKeyDeletion", principal_arn=BREAK_GLASS)
    assert is_allowed(doc, action="kms:EnableKey", principal_arn=BREAK_GLASS)


def test_a_governance_locked_central_key_keeps_the_break_glass_exemption():
    """Under governance mode break-glass may delete the recovery points themselves: the key adds nothing."""
    doc = central(compliance_locked=False)
    assert "DenyKeyDisableAndDeletionToEveryone" not in by_sid(doc)
    assert is_allowed(doc, action="kms:ScheduleKeyDeletion", principal_arn=BREAK_GLASS)

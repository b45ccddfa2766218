"""The guardrail SCP, judged as an attacker would try it, by an evaluator that is not ours.

Each request is decided by IAMSpy's Z3 model of IAM statements under AWS's evaluation logic
(``policies.access.evaluator``): a member-account administrator with ``AdministratorAccess`` is bounded by
the guardrail SCPs only. Note that IAMSpy compares ARNs case-insensitively, so a case-variant squatter is
tested by the role checks of preflight and verify (tests/org_backup/ops/test_guardrail_ops.py), not here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.session
import parliament  # type: ignore[import-untyped]
import pytest

from components.documents.guardrail_scp import (
    GuardrailError,
    guardrail_attachment_targets,
    guardrail_policies,
    guardrail_scp_documents,
)
from deployment.layout import build_layout
from deployment.load import config_from_stack_file
from policies.access.evaluator import Principal, Request, decide
from policies.backup_rules.guardrail import MAX_SCP_BYTES, check_scp_document, minified, scp_size
from policies.backup_rules.names import BACKUP_KEY_TAG
from stackconfig.inventory import OrgTree, load_inventory
from stackconfig.model import StackConfig
from tests.components.documents.config_factory import make_config

PROJECT_DIR = Path(__file__).resolve().parents[3]
MEMBER = "444444444401"
REGION = "us-east-1"
ADMINISTRATOR_ACCESS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
VAULT = f"arn:aws:backup:{REGION}:{MEMBER}:backup-vault:org-backup"
CENTRAL_VAULT = f"arn:aws:backup:{REGION}:{MEMBER}:backup-vault:org-backup-central"
RECOVERY_POINT = f"arn:aws:backup:{REGION}:{MEMBER}:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45"
KEY = f"arn:aws:kms:{REGION}:{MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TAGGED = ((f"aws:ResourceTag/{BACKUP_KEY_TAG}", "true"),)


def role(name: str) -> str:
    return f"arn:aws:iam::{MEMBER}:role/{name}"


def prod() -> StackConfig:
    return config_from_stack_file(PROJECT_DIR / "Pulumi.prod.yaml").config


def allowed(
    config: StackConfig, who: str, action: str, resource: str, context: tuple[tuple[str, str], ...] = ()
) -> bool:
    scps = tuple(json.dumps(d) for d in guardrail_scp_documents(config))
    principal = Principal(who, identity=(ADMINISTRATOR_ACCESS,), scps=scps)
    decision = decide(Request(principal, action, resource, extra_context=context))
    assert decision.exact, decision
    return decision.allowed


DESTRUCTIVE: list[tuple[str, str, tuple[tuple[str, str], ...]]] = [
    ("backup:DeleteBackupVault", VAULT, ()),
    ("backup:PutBackupVaultAccessPolicy", VAULT, ()),
    ("backup:DeleteBackupVaultAccessPolicy", VAULT, ()),
    ("backup:DeleteBackupVaultLockConfiguration", VAULT, ()),
    ("backup:PutBackupVaultLockConfiguration", CENTRAL_VAULT, ()),
    ("backup:CreateBackupVault", VAULT, ()),
    ("backup:UpdateRegionSettings", f"arn:aws:backup:{REGION}:{MEMBER}:region-settings", ()),
    ("kms:ScheduleKeyDeletion", KEY, TAGGED),
    ("kms:DisableKey", KEY, TAGGED),
    ("kms:PutKeyPolicy", KEY, TAGGED),
    ("kms:RevokeGrant", KEY, (*TAGGED, ("kms:GrantIsForAWSResource", "false"))),
    ("kms:UntagResource", KEY, TAGGED),
    ("kms:TagResource", KEY, (("aws:ResourceTag/org-backup:backup-key", "false"),)),
    ("iam:DeleteRole", role("OrgBackupServiceRole"), ()),
    ("iam:UpdateAssumeRolePolicy", role("OrgBackupServiceRole"), ()),
    ("iam:PutRolePolicy", role("OrgBackupServiceRole"), ()),
    ("iam:DetachRolePolicy", role("OrgBackupServiceRole"), ()),
    ("iam:PutRolePermissionsBoundary", role("OrgBackupServiceRole"), ()),
    ("iam:UpdateAssumeRolePolicy", role("OrganizationAccountAccessRole"), ()),
    ("iam:AttachRolePolicy", role("BackupBreakGlass"), ()),
    ("iam:CreateRole", role("BackupBreakGlass"), ()),
    ("iam:CreateRole", role("attacker/BackupBreakGlass"), ()),
    ("iam:CreateRole", role("stacksets-exec-0123456789abcdef"), ()),
    ("iam:CreateRole", role("a/b/stacksets-exec-x"), ()),
]


@pytest.mark.parametrize(("action", "resource", "context"), DESTRUCTIVE)
def test_a_member_account_administrator_is_denied(action: str, resource: str, context: Any) -> None:
    config = prod()
    assert not allowed(config, role("Admin"), action, resource, context)
    # The attacker's own role named like a break-glass role, under a path: not the exempt ARN.
    assert not allowed(config, role("attacker/BackupBreakGlass"), action, resource, context)
    # A StackSets execution role is not exempt in direct mode.
    assert not allowed(config, role("stacksets-exec-squatted"), action, resource, context)


# Denied in every vault of the account only when guardrail.deny_recovery_point_changes_in_every_vault is set:
# recovery-point ARNs do not name their vault, so the SCP would deny it in other teams' vaults too.
RECOVERY_POINTS: list[tuple[str, str, tuple[tuple[str, str], ...]]] = [
    ("backup:DeleteRecoveryPoint", RECOVERY_POINT, ()),
    ("backup:UpdateRecoveryPointLifecycle", RECOVERY_POINT, ()),
    ("backup:DisassociateRecoveryPoint", RECOVERY_POINT, ()),
]


def every_vault() -> StackConfig:
    config = prod()
    guardrail = config.guardrail.model_copy(update={"deny_recovery_point_changes_in_every_vault": True})
    return config.model_copy(update={"guardrail": guardrail})


@pytest.mark.parametrize(("action", "resource", "context"), RECOVERY_POINTS)
def test_recovery_points_are_left_to_the_vault_policies_unless_opted_in(
    action: str, resource: str, context: Any
) -> None:
    assert allowed(prod(), role("Admin"), action, resource, context), "other teams' vaults are theirs"
    assert not allowed(every_vault(), role("Admin"), action, resource, context)
    assert not allowed(every_vault(), role("attacker/BackupBreakGlass"), action, resource, context)
    assert allowed(every_vault(), role("BackupBreakGlass"), action, resource, context)


@pytest.mark.parametrize(("action", "resource", "context"), DESTRUCTIVE)
def test_the_exempt_roles_keep_every_power(action: str, resource: str, context: Any) -> None:
    config = prod()
    assert allowed(config, role("BackupBreakGlass"), action, resource, context)
    assert allowed(config, role("OrganizationAccountAccessRole"), action, resource, context)


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("backup:DeleteBackupVault", f"arn:aws:backup:{REGION}:{MEMBER}:backup-vault:team-vault", ()),
        ("kms:ScheduleKeyDeletion", KEY, ()),
        ("iam:CreateRole", role("AppRole"), ()),
        ("iam:DeleteRole", role("BackupBreakGlassOld"), ()),
        ("backup:StartBackupJob", VAULT, ()),
        ("backup:CopyIntoBackupVault", f"arn:aws:backup:{REGION}:{MEMBER}:backup-vault:team-vault", ()),
    ],
)
def test_what_the_guardrail_does_not_name_stays_open(action: str, resource: str, context: Any) -> None:
    assert allowed(prod(), role("Admin"), action, resource, context)


def test_stackset_mode_exempts_the_execution_role_but_nobody_else_may_create_one() -> None:
    direct = prod()
    stackset = direct.model_copy(
        update={"member_deployment": direct.member_deployment.model_copy(update={"mode": "stackset"})}
    )
    executor = role("stacksets-exec-0123456789abcdef")
    assert allowed(stackset, executor, "backup:PutBackupVaultAccessPolicy", VAULT)
    assert not allowed(direct, executor, "backup:PutBackupVaultAccessPolicy", VAULT)
    assert not allowed(stackset, role("Admin"), "iam:CreateRole", role("stacksets-exec-mine"))
    assert not allowed(stackset, role("path/stacksets-exec-x"), "backup:PutBackupVaultAccessPolicy", VAULT)


def test_extra_exempt_names_and_central_break_glass_are_exempt() -> None:
    config = make_config(
        vaults={"central": {"break_glass_role_names": ["CentralGlass"]}},
        guardrail={"extra_exempt_role_names": ["SecurityAutomation"]},
    )
    for name in ("CentralGlass", "SecurityAutomation"):
        assert allowed(config, role(name), "backup:DeleteBackupVault", VAULT)
        assert not allowed(config, role("Admin"), "iam:UpdateAssumeRolePolicy", role(name))


def test_prod_fits_one_scp_that_aws_accepts_and_parliament_knows_every_action() -> None:
    (document,) = guardrail_scp_documents(prod())
    assert check_scp_document(document) == []
    assert scp_size(minified(document)) <= MAX_SCP_BYTES
    assert {s["Effect"] for s in document["Statement"]} == {"Deny"}
    known = {f"{s['prefix']}:{p['privilege']}".lower() for s in parliament.iam_definition for p in s["privileges"]}
    # AWS Backup actions newer than parliament's snapshot: Backup names each action after its API operation
    # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html).
    known |= {
        f"backup:{op}".lower() for op in botocore.session.get_session().get_service_model("backup").operation_names
    }
    actions = {
        a for s in document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert sorted(a for a in actions if a.lower() not in known) == []
    assert [p.name for p in guardrail_policies(prod())] == ["org-backup-guardrail-1"]


def _many_names(count: int, length: int = 40) -> list[str]:
    return [f"BreakGlass{i:03d}".ljust(length, "x") for i in range(count)]


def test_a_large_guardrail_is_split_deterministically_and_every_part_fits() -> None:
    config = make_config(vaults={"member": {"break_glass_role_names": _many_names(25)}})
    documents = guardrail_scp_documents(config)
    assert len(documents) >= 2
    assert documents == guardrail_scp_documents(config)
    for document in documents:
        assert scp_size(minified(document)) <= MAX_SCP_BYTES and check_scp_document(document) == []
    sids = [s["Sid"] for d in documents for s in d["Statement"]]
    assert len(sids) == len(set(sids))
    resources = [
        r
        for d in documents
        for s in d["Statement"]
        if s["Sid"].startswith("DenyReservedRoleChanges")
        for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    ]
    # every exempt name (25 break-glass roles, the deploy role) and stacksets-exec-*, at the root path and under any
    # path (the program's roles join the statement in direct mode, where their exemptions are the same)
    names = [*_many_names(25), "OrganizationAccountAccessRole", "stacksets-exec-*"]
    assert {f"arn:aws:iam::*:role/{p}{n}" for n in names for p in ("", "*/")} <= set(resources)
    assert len(resources) == len(set(resources))
    # Every part keeps the whole exemption: no statement of any part exempts fewer roles (the central vault's copy
    # deny adds the backup role, whose copies it admits).
    exemptions = {
        json.dumps(s["Condition"]["ArnNotLike"], sort_keys=True)
        for d in documents
        for s in d["Statement"]
        if not s["Sid"].startswith("DenyCentralVaultCopies")
    }
    assert len(exemptions) == 1
    assert [p.name for p in guardrail_policies(config)] == [
        f"org-backup-guardrail-{i}" for i in range(1, len(documents) + 1)
    ]
    last = _many_names(25)[-1]
    assert not allowed(config, role("Admin"), "iam:CreateRole", role(last))
    assert allowed(config, role(last), "backup:DeleteBackupVault", VAULT)


def test_an_exemption_too_long_for_any_scp_is_refused() -> None:
    config = make_config(vaults={"member": {"break_glass_role_names": _many_names(90, 64)}})
    with pytest.raises(GuardrailError, match="shorten the exempt role names"):
        guardrail_scp_documents(config)


def test_a_disabled_guardrail_has_no_document_and_no_target() -> None:
    config = make_config(guardrail={"enabled": False})
    assert guardrail_scp_documents(config) == []
    assert guardrail_attachment_targets(config, OrgTree(root_id="r-ab12")) == []


def test_attachment_targets_follow_the_backup_policies_around_exclusions() -> None:
    config = prod()
    tree = OrgTree.from_inventory(load_inventory(PROJECT_DIR / "inventory/prod.yaml"))
    targets = guardrail_attachment_targets(config, tree)
    layout = build_layout(config, tree)
    backup_targets = {t for p in layout.policies for t in p.attach_to}
    org = config.organization
    assert set(targets) == backup_targets | {org.central_vault_account_id, org.backup_admin_account_id}
    assert "ou-ab12-11111111" not in targets  # prod holds the excluded prod-legacy: attached to its children
    assert "444444444406" not in targets and "ou-ab12-33333333" not in targets
    assert config.organization.management_account_id not in targets
    no_central = config.model_copy(
        update={"guardrail": config.guardrail.model_copy(update={"protect_central_account": False})}
    )
    assert config.organization.central_vault_account_id not in guardrail_attachment_targets(no_central, tree)


# --------------------------------------------------------------------------- security review (issue 9 follow-up)

EXECUTOR = role("stacksets-exec-0123456789abcdef")
FORWARDING_RULE = f"arn:aws:events:{REGION}:{MEMBER}:rule/org-backup-failed-jobs"
FRAMEWORK = f"arn:aws:backup:{REGION}:{MEMBER}:framework:org_backup_controls-0123abcd"
RESERVED_TAG = (("aws:ResourceTag/org-backup:reserved", "true"),)


def stackset(config: StackConfig) -> StackConfig:
    return config.model_copy(
        update={"member_deployment": config.member_deployment.model_copy(update={"mode": "stackset"})}
    )


def statements_by_sid(config: StackConfig) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for d in guardrail_scp_documents(config) for s in d["Statement"]}


def test_f1_the_reserved_name_statement_never_exempts_the_stacksets_execution_role() -> None:
    for config in (prod(), stackset(prod())):
        reserved = statements_by_sid(config)["DenyReservedRoleChanges"]
        exempt = reserved["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
        assert not any("stacksets-exec" in arn for arn in exempt), exempt
        assert "arn:aws:iam::*:role/stacksets-exec-*" in reserved["Resource"]


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("iam:CreateRole", role("BackupBreakGlass"), ()),
        ("iam:UpdateAssumeRolePolicy", role("OrganizationAccountAccessRole"), ()),
        ("iam:CreateRole", role("stacksets-exec-another"), ()),
        ("iam:PassRole", role("BackupBreakGlass"), ()),
        ("kms:DisableKey", KEY, TAGGED),
        ("kms:ScheduleKeyDeletion", KEY, TAGGED),
        ("kms:UntagResource", KEY, TAGGED),
        ("backup:DeleteBackupVaultLockConfiguration", VAULT, ()),
        ("backup:DeleteBackupVault", VAULT, ()),
        ("backup:PutBackupVaultAccessPolicy", CENTRAL_VAULT, ()),
        ("backup:PutBackupVaultLockConfiguration", CENTRAL_VAULT, ()),
        ("backup:UpdateRegionSettings", f"arn:aws:backup:{REGION}:{MEMBER}:region-settings", ()),
    ],
)
def test_f1_a_stacksets_administrator_cannot_make_a_break_glass_role_nor_destroy_keys_or_locks(
    action: str, resource: str, context: Any
) -> None:
    """Whoever can update any service-managed stack set acts as the execution role in every member account."""
    assert not allowed(stackset(prod()), EXECUTOR, action, resource, context)


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("backup:CreateBackupVault", VAULT, ()),
        ("backup:PutBackupVaultAccessPolicy", VAULT, ()),
        ("backup:PutBackupVaultLockConfiguration", VAULT, ()),
        ("kms:PutKeyPolicy", KEY, TAGGED),
        ("iam:CreateRole", role("OrgBackupServiceRole"), ()),
        ("iam:CreateRole", role("org-backup-event-forwarding-stackset"), ()),
        ("iam:PassRole", role("OrgBackupServiceRole"), ()),
        ("iam:TagRole", role("OrgBackupServiceRole"), RESERVED_TAG),
        ("events:PutRule", f"{FORWARDING_RULE}-stackset", ()),
        ("events:PutTargets", f"{FORWARDING_RULE}-stackset", ()),
        ("backup:UpdateFramework", FRAMEWORK.replace("controls-", "controls_stackset-"), ()),
    ],
)
def test_f1_the_execution_role_keeps_what_the_member_template_writes(action: str, resource: str, context: Any) -> None:
    assert allowed(stackset(prod()), EXECUTOR, action, resource, context)
    assert not allowed(prod(), EXECUTOR, action, resource, context), "direct mode exempts no execution role"


def test_f2_the_backup_admin_account_is_guarded_unless_it_is_the_management_account() -> None:
    config = prod()
    tree = OrgTree.from_inventory(load_inventory(PROJECT_DIR / "inventory/prod.yaml"))
    admin = config.organization.backup_admin_account_id
    assert admin in guardrail_attachment_targets(config, tree)
    management = config.organization.model_copy(
        update={"backup_admin_account_id": config.organization.management_account_id}
    )
    same = config.model_copy(update={"organization": management})
    assert config.organization.management_account_id not in guardrail_attachment_targets(same, tree)


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("iam:PassRole", role("OrgBackupServiceRole"), ()),
        ("iam:PassRole", role("aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"), ()),
        ("iam:PassRole", role("OrganizationAccountAccessRole"), ()),
        ("backup:StartBackupJob", CENTRAL_VAULT, ()),
        ("backup:CopyIntoBackupVault", CENTRAL_VAULT, ()),
    ],
)
def test_f4_a_member_administrator_cannot_run_a_job_the_central_vault_admits(
    action: str, resource: str, context: Any
) -> None:
    """StartCopyJob authorizes only the source recovery point: passing the admitted role is what is denied."""
    for config in (prod(), stackset(prod())):
        assert not allowed(config, role("Admin"), action, resource, context)
    assert allowed(prod(), role("OrganizationAccountAccessRole"), action, resource, context)


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("events:DeleteRule", FORWARDING_RULE, ()),
        ("events:DisableRule", FORWARDING_RULE, ()),
        ("events:RemoveTargets", FORWARDING_RULE, ()),
        ("events:PutTargets", FORWARDING_RULE, ()),
        ("events:PutRule", f"{FORWARDING_RULE}-stackset", ()),
        ("iam:DeleteRolePolicy", role("org-backup-event-forwarding"), ()),
        ("iam:UpdateAssumeRolePolicy", role("org-backup-event-forwarding-stackset"), ()),
        ("backup:DeleteFramework", FRAMEWORK, ()),
        ("backup:UpdateFramework", FRAMEWORK, ()),
    ],
)
def test_f5_a_member_administrator_cannot_blind_alerting_or_audit(action: str, resource: str, context: Any) -> None:
    for config in (prod(), stackset(prod())):
        assert not allowed(config, role("Admin"), action, resource, context)
        assert allowed(config, role("BackupBreakGlass"), action, resource, context)


@pytest.mark.parametrize(
    "action", ["iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:UntagRole", "iam:DeleteRole", "iam:PassRole"]
)
def test_f7_a_role_tagged_reserved_is_protected_whatever_its_name_is_spelled(action: str) -> None:
    """ARN matching is case-sensitive and IAM names are not: the tag, read from the role, decides. IAMSpy lower-cases
    ARNs, so an unreserved name stands for the spelling no Resource pattern matches."""
    spelled = role("orgbackupserviceROLE-as-spelled")
    assert not allowed(prod(), role("Admin"), action, spelled, RESERVED_TAG)
    assert allowed(prod(), role("Admin"), action, spelled), "an untagged role of another name is not ours"
    assert allowed(prod(), role("OrganizationAccountAccessRole"), action, spelled, RESERVED_TAG)


def test_f10_revoking_grants_stays_open_to_integrated_services_only() -> None:
    service = (*TAGGED, ("kms:GrantIsForAWSResource", "true"))
    assert allowed(prod(), role("OrgBackupServiceRole"), "kms:RevokeGrant", KEY, service)
    assert not allowed(prod(), role("Admin"), "kms:RevokeGrant", KEY, (*TAGGED, ("kms:GrantIsForAWSResource", "false")))


def test_f4_copies_into_the_central_vault_stay_open_to_the_backup_role() -> None:
    """Liveness: the organization's copy jobs run as the backup role (the backup policies name it)."""
    for config in (prod(), stackset(prod())):
        assert allowed(config, role("OrgBackupServiceRole"), "backup:CopyIntoBackupVault", CENTRAL_VAULT)
        assert not allowed(config, role("TeamBackupRole"), "backup:CopyIntoBackupVault", CENTRAL_VAULT)

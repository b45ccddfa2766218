"""Least privilege, checked by machine, on every policy document the program really deploys.

The documents are collected from the resources the prod and staging stacks register under mocks (not from a
hand-picked list of builders), classified by the resource that carries them, and judged twice:

- by ``parliament`` (duo-labs' IAM linter, with its community auditors), where every finding must match a
  row of ``SUPPRESSIONS`` that says why it is acceptable, and every row must still match something;
- by our own rules, ``policies.backup_rules.iam.check_policy_document`` (no wildcard Allow action, no
  NotPrincipal, an organization condition on every ``"*"`` principal, regional ``kms:ViaService``), plus the
  exact ``kms:ViaService`` value each key needs.

Parliament ships its own privilege database; an action it does not know is accepted only when botocore's
service model has the operation (``NEWER_ACTIONS``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
import parliament  # type: ignore[import-untyped]
import pytest

from components.key_alerting import KEY_FORWARDING_ROLE_NAME
from org_backup.preview.offline import ProgramRun, RecordedResource
from policies.backup_rules.iam import check_policy_document
from policies.backup_rules.names import FORWARDING_ROLE_NAME


@dataclass(frozen=True)
class PolicyDocument:
    """One policy as deployed: what it is, where it lives, and its JSON text."""

    kind: str
    stack: str
    urn: str
    account: str | None
    region: str | None
    text: str
    role_name: str | None = None

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.text)

    @property
    def statements(self) -> list[dict[str, Any]]:
        raw = self.document["Statement"]
        return raw if isinstance(raw, list) else [raw]


KEY_KINDS = frozenset({"kms-key-member", "kms-key-central", "kms-key-alert-topic"})
VAULT_POLICY_KINDS = frozenset({"vault-policy-member", "vault-policy-central"})
TRUST_KINDS = frozenset({"trust-backup-role", "trust-event-forwarding-role"})
EXPECTED_KINDS = (
    KEY_KINDS
    | VAULT_POLICY_KINDS
    | TRUST_KINDS
    | {
        "inline-event-forwarding-role",
        "report-bucket-policy",
        "event-bus-policy",
        "sns-topic-policy",
        "organizations-delegation-policy",
        "guardrail-scp",
    }
)

_OWNERS = {
    "org-backup:member_account:MemberAccount": "member",
    "org-backup:central_vaults:CentralVaults": "central",
    "org-backup:alerting:CentralAlerting": "alert-topic",
}


def _owner(resource: RecordedResource, by_urn: dict[str, RecordedResource]) -> str | None:
    """Which component the resource belongs to, following its parents up to the stack."""
    node: RecordedResource | None = resource
    while node is not None:
        if node.type in _OWNERS:
            return _OWNERS[node.type]
        node = by_urn.get(node.parent_urn or "")
    return None


def _classify(resource: RecordedResource, key: str, by_urn: dict[str, RecordedResource]) -> str | None:
    """The document kind of ``key`` of ``resource``, or None when this test does not know it (a failure)."""
    owner = _owner(resource, by_urn)
    match resource.type, key:
        case "aws:kms/key:Key", "policy" if owner:
            return f"kms-key-{owner}"
        case "aws:backup/vaultPolicy:VaultPolicy", "policy" if owner in ("member", "central"):
            return f"vault-policy-{owner}"
        case "aws:iam/role:Role", "assumeRolePolicy" | "inlinePolicies":
            forwarding = resource.inputs.get("name") in (FORWARDING_ROLE_NAME, KEY_FORWARDING_ROLE_NAME)
            role = None if forwarding else "backup-role"
            prefix = "trust" if key == "assumeRolePolicy" else "inline"
            return f"{prefix}-{role or 'event-forwarding-role'}"
        case "aws:s3/bucketPolicy:BucketPolicy", "policy":
            return "report-bucket-policy"
        case "aws:cloudwatch/eventBusPolicy:EventBusPolicy", "policy":
            return "event-bus-policy"
        case "aws:sns/topicPolicy:TopicPolicy", "policy":
            return "sns-topic-policy"
        case "aws:organizations/policy:Policy", "content" if resource.inputs.get("type") == "SERVICE_CONTROL_POLICY":
            return "guardrail-scp"
        case "pulumi-python:dynamic:Resource", "content" if resource.name.endswith("-backup-delegation-statements"):
            return "organizations-delegation-policy"
    return None


def _policy_texts(value: Any) -> Iterator[str]:
    """Every JSON string under ``value`` that is an IAM-style policy (an object with a ``Statement``)."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return
        if isinstance(parsed, dict) and "Statement" in parsed:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _policy_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _policy_texts(item)


def collect(run: ProgramRun) -> tuple[list[PolicyDocument], list[str]]:
    """(classified documents, URNs and input keys of policies nobody classified)."""
    found: list[PolicyDocument] = []
    unknown: list[str] = []
    by_urn = run.by_urn()
    for resource in run.resources:
        for key, value in resource.inputs.items():
            for text in _policy_texts(value):
                kind = _classify(resource, key, by_urn)
                if kind is None:
                    unknown.append(f"{resource.urn} {key}")
                    continue
                role = resource.inputs.get("name") if resource.type == "aws:iam/role:Role" else None
                found.append(
                    PolicyDocument(kind, run.stack, resource.urn, resource.account, resource.region, text, role)
                )
    return found, unknown


@pytest.fixture(scope="module")
def documents(prod_run: ProgramRun, staging_run: ProgramRun) -> list[PolicyDocument]:
    out: list[PolicyDocument] = []
    for run in (prod_run, staging_run):
        found, unknown = collect(run)
        assert unknown == [], "a policy document of a kind this test does not know: classify and lint it"
        out += found
    return out


def test_every_kind_of_deployed_policy_is_collected(documents: list[PolicyDocument]) -> None:
    assert {d.kind for d in documents} == EXPECTED_KINDS
    by_stack = {(d.stack, d.kind) for d in documents}
    assert {("prod", kind) for kind in EXPECTED_KINDS} <= by_stack
    assert ("staging", "report-bucket-policy") not in by_stack, "staging disables audit: no report bucket"


# ------------------------------------------------------------------------------------------ parliament


@dataclass(frozen=True)
class Suppression:
    """A parliament finding we accept: for which document kinds, about which actions or keys, and why."""

    issue: str
    kinds: frozenset[str]
    subjects: frozenset[str] | None
    reason: str


_DELEGATED_READS = frozenset(
    {
        "organizations:describeaccount",
        "organizations:describeeffectivepolicy",
        "organizations:describeorganization",
        "organizations:describeorganizationalunit",
        "organizations:describepolicy",
        "organizations:listaccounts",
        "organizations:listaccountsforparent",
        "organizations:listchildren",
        "organizations:listorganizationalunitsforparent",
        "organizations:listparents",
        "organizations:listroots",
        "organizations:listtagsforresource",
        "organizations:listtargetsforpolicy",
    }
)

SUPPRESSIONS: tuple[Suppression, ...] = (
    Suppression(
        "RESOURCE_STAR",
        KEY_KINDS | VAULT_POLICY_KINDS,
        None,
        'In a KMS key policy and in a Backup vault access policy, "Resource": "*" means the key or the vault '
        "the policy is attached to (KMS accepts no other form); it cannot reach any other resource.",
    ),
    Suppression(
        "RESOURCE_STAR",
        frozenset({"organizations-delegation-policy"}),
        _DELEGATED_READS,
        "The Organizations resource policy only governs this organization's own resources, so * cannot reach "
        "outside it. These read-only Describe/List actions let the delegated administrator read the tree and "
        "the policies it manages, as in AWS's delegation example (aws-backup-rules.md §5, S17).",
    ),
    Suppression(
        "UNKNOWN_CONDITION_FOR_ACTION",
        frozenset({"organizations-delegation-policy"}),
        _DELEGATED_READS | {"organizations:policytype"},
        "The condition is StringLikeIfExists on organizations:PolicyType, as in AWS's delegation example: "
        "ignored by the actions that carry no policy type, it limits DescribePolicy, DescribeEffectivePolicy "
        "and ListTargetsForPolicy (and the Create/Update/... statement) to backup policies.",
    ),
    Suppression(
        "RESOURCE_MISMATCH",
        frozenset({"organizations-delegation-policy"}),
        frozenset({"organizations:createpolicy"}),
        "Parliament's database gives organizations:CreatePolicy no resource type, so only * would match. AWS's "
        "delegation example for backup policies (S17) and the aws-samples template grant it on the root, OU, "
        "account and backup_policy ARNs with the BACKUP_POLICY condition, which we keep. Not verified against "
        "a real organization (docs/security.md, 'What remains uncovered').",
    ),
    Suppression(
        "PERMISSIONS_MANAGEMENT_ACTIONS",
        KEY_KINDS,
        frozenset({"kms:putkeypolicy", "kms:creategrant", "kms:revokegrant"}),
        "kms:PutKeyPolicy stays with the key's account root so the key stays manageable (KMS's lockout safety "
        "check); on every vault key (member and central) a Deny leaves it, DisableKey and ScheduleKeyDeletion to "
        "the break-glass and deploying roles only. CreateGrant is how AWS Backup and the services that copy what "
        "it does not fully manage (EC2, RDS) use the key, allowed only through those services in the key's "
        "Region with kms:GrantIsForAWSResource; RevokeGrant cleans those grants up.",
    ),
    Suppression(
        "CREDENTIALS_EXPOSURE",
        TRUST_KINDS,
        frozenset({"sts:assumerole"}),
        "A trust policy exists to let its one service principal (backup.amazonaws.com, events.amazonaws.com) "
        "assume the role; no user or account receives credentials through it.",
    ),
)

# Actions parliament's privilege database does not know yet, with botocore's service model as evidence.
NEWER_ACTIONS: dict[str, str] = dict.fromkeys(
    ("backup:AssociateBackupVaultMpaApprovalTeam", "backup:DisassociateBackupVaultMpaApprovalTeam"),
    "Multi-party approval for logically air-gapped vaults (2025) is newer than parliament 1.6.4's action list; "
    "the guardrail denies it to member administrators and botocore's AWS Backup model has the operation "
    "(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html)",
)

_ACTION = re.compile(r"\b[a-z0-9-]+:[A-Za-z0-9*]+\b")


def _subjects(finding: Any) -> frozenset[str]:
    """The actions and condition keys a finding is about, lower-cased, from its detail and location."""
    text = json.dumps([finding.detail, finding.location.get("actions"), finding.location.get("string")], default=str)
    return frozenset(match.lower() for match in _ACTION.findall(text) if not match.startswith(("arn:", "aws:")))


def parliament_text(document: PolicyDocument) -> str:
    """The document as parliament should read it.

    IAM evaluates a trust policy as the role's own resource policy, whose implicit Resource is the role.
    Parliament requires a Resource in every statement and otherwise stops at MALFORMED without checking
    anything else, so the role's ARN is written in first.
    """
    if document.kind not in TRUST_KINDS:
        return document.text
    arn = f"arn:aws:iam::{document.account}:role/{document.role_name}"
    policy = document.document
    for statement in policy["Statement"]:
        statement.setdefault("Resource", arn)
    return json.dumps(policy)


@cache
def _lint(text: str) -> tuple[Any, ...]:
    policy = parliament.analyze_policy_string(text, ignore_private_auditors=True, include_community_auditors=True)
    return tuple(policy.findings)


def _accepted(kind: str, finding: Any) -> Suppression | None:
    if finding.issue == "UNKNOWN_ACTION":
        action = str(finding.location.get("string", ""))
        if action in NEWER_ACTIONS and _botocore_knows(action):
            return Suppression("UNKNOWN_ACTION", frozenset({kind}), frozenset({action}), NEWER_ACTIONS[action])
        return None
    subjects = _subjects(finding)
    for row in SUPPRESSIONS:
        if row.issue == finding.issue and kind in row.kinds and (row.subjects is None or subjects <= row.subjects):
            return row
    return None


@cache
def _operations(service: str) -> frozenset[str]:
    session = botocore.session.get_session()
    return frozenset(session.get_service_model(service).operation_names)


def _botocore_knows(action: str) -> bool:
    service, _, name = action.partition(":")
    return name in _operations(service)


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_parliament_finds_nothing_without_a_written_reason(documents: list[PolicyDocument], kind: str) -> None:
    unexplained = [
        (d.stack, d.urn, f.issue, f.detail, f.location)
        for d in documents
        if d.kind == kind
        for f in _lint(parliament_text(d))
        if _accepted(kind, f) is None
    ]
    assert unexplained == []


def test_every_suppression_still_matches_a_finding(documents: list[PolicyDocument]) -> None:
    """A suppression that no longer matches anything hides nothing today, but would hide a regression."""
    used = {_accepted(d.kind, f) for d in documents for f in _lint(parliament_text(d))}
    assert [row for row in SUPPRESSIONS if row not in used] == []
    assert all(len(row.reason) > 80 for row in SUPPRESSIONS)


def test_parliament_itself_flags_what_it_should() -> None:
    """The linter is wired up: a wildcard Allow, an unknown action and a missing Resource are all reported."""
    statement: dict[str, Any] = {"Effect": "Allow", "Action": ["s3:GetObject", "backup:NoSuch"]}
    bad = {"Version": "2012-10-17", "Statement": [statement]}
    assert {f.issue for f in _lint(json.dumps(bad))} == {"MALFORMED"}
    statement["Resource"] = "*"
    assert "UNKNOWN_ACTION" in {f.issue for f in _lint(json.dumps(bad))}
    statement["Action"] = "s3:GetObject"
    assert "RESOURCE_STAR" in {f.issue for f in _lint(json.dumps(bad))}


def test_every_action_is_known_to_parliament_or_botocore(documents: list[PolicyDocument]) -> None:
    """A misspelt action grants nothing and fails silently; each one must exist somewhere authoritative."""
    known = {
        f"{service['prefix']}:{p['privilege']}".lower()
        for service in parliament.iam_definition
        for p in service["privileges"]
    }
    actions = {
        a
        for d in documents
        for s in d.statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    missing = sorted(a for a in actions if "*" not in a and a.lower() not in known and a not in NEWER_ACTIONS)
    assert missing == []
    assert all(_botocore_knows(a) for a in NEWER_ACTIONS)


# ------------------------------------------------------------------------------------------ our rules


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_our_least_privilege_rules_find_nothing(documents: list[PolicyDocument], kind: str) -> None:
    findings = [(d.stack, d.urn, str(f)) for d in documents if d.kind == kind for f in check_policy_document(d.text)]
    assert findings == []


def test_no_allow_has_a_wildcard_action_and_no_statement_uses_not_elements(documents: list[PolicyDocument]) -> None:
    for document in documents:
        for statement in document.statements:
            assert not {"NotPrincipal", "NotAction", "NotResource"} & set(statement), (document.urn, statement)
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            if statement["Effect"] == "Allow":
                assert not any("*" in a for a in actions), (document.urn, statement)


def _is_everyone(principal: Any) -> bool:
    return principal == "*" or (isinstance(principal, dict) and "*" in json.dumps(principal.get("AWS", [])))


def test_every_allow_to_any_principal_is_bound_to_the_organization(documents: list[PolicyDocument]) -> None:
    """A Deny to ``"*"`` only ever narrows; an Allow to ``"*"`` must carry aws:PrincipalOrgID (or OrgPaths)."""
    open_allows = [
        (d, s) for d in documents for s in d.statements if s["Effect"] == "Allow" and _is_everyone(s.get("Principal"))
    ]
    assert {d.kind for d, _ in open_allows} >= {"kms-key-central", "vault-policy-central", "event-bus-policy"}
    for document, statement in open_allows:
        org = statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"]
        assert org in ("o-a1b2c3d4e5", "o-f6g7h8i9j0"), document.urn


def test_kms_via_service_names_the_service_in_the_keys_own_region(documents: list[PolicyDocument]) -> None:
    """``backup.amazonaws.com`` (no Region) never matches: kms:ViaService is the regional endpoint."""
    checked = 0
    for document in (d for d in documents if d.kind in KEY_KINDS):
        for statement in document.statements:
            for operator, keys in statement.get("Condition", {}).items():
                if "kms:ViaService" in keys:
                    assert operator == "StringEquals"
                    services = ("backup", "ec2", "rds") if document.kind != "kms-key-alert-topic" else ("sns",)
                    expected = [f"{s}.{document.region}.amazonaws.com" for s in services]
                    assert keys["kms:ViaService"] in (expected, expected[0]), document.urn
                    checked += 1
    assert checked >= 20

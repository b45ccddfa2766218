"""Pack rules of the guardrail domain: SCPs AWS accepts, protected, within 5 per target, and present."""

from __future__ import annotations

import json

from components.documents.guardrail_scp import guardrail_scp_documents
from deployment.load import config_from_stack_file
from policies.backup_rules.guardrail import minified
from rules.guardrail import POLICIES
from tests.components.documents.test_guardrail_scp import PROJECT_DIR
from tests.pack.harness import UNKNOWN_STRING, Spec, by_name, run_resource, run_stack

POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
VAULT = "aws:backup/vault:Vault"
MANAGEMENT = "111111111111"


def prod_scp() -> str:
    (document,) = guardrail_scp_documents(config_from_stack_file(PROJECT_DIR / "Pulumi.prod.yaml").config)
    return minified(document)


def scp(name: str = "guardrail-1", content: str | None = None, *, protect: bool = True) -> Spec:
    props = {"name": name, "type": "SERVICE_CONTROL_POLICY", "content": prod_scp() if content is None else content}
    return Spec(POLICY, props, name=name, account=MANAGEMENT, protect=protect)


def attached(policy: Spec, target: str, *, protect: bool = True) -> Spec:
    return Spec(
        ATTACHMENT,
        {"policyId": f"{policy.name}-id", "targetId": target},
        name=f"{policy.name}-{target}",
        account=MANAGEMENT,
        protect=protect,
        parent=policy.urn,
        property_dependencies={"policyId": [policy.urn]},
    )


def test_the_generated_scp_passes_and_what_aws_refuses_is_reported() -> None:
    rule = by_name(POLICIES, "guardrail-scp-valid")
    assert run_resource(rule, scp()) == []
    oversized = json.loads(prod_scp())
    oversized["Statement"][0]["Resource"] = [f"arn:aws:backup:*:*:backup-vault:v{i:04d}" for i in range(200)]
    with_principal = json.loads(prod_scp())
    with_principal["Statement"][0]["Principal"] = "*"
    assert any("scp-size" in m for m in run_resource(rule, scp(content=minified(oversized))))
    assert any("do not support Principal" in m for m in run_resource(rule, scp(content=minified(with_principal))))
    assert any("not known during preview" in m for m in run_resource(rule, scp(content=UNKNOWN_STRING)))
    backup_policy = Spec(POLICY, {"type": "BACKUP_POLICY", "content": "{" * 20_000}, account="222222222222")
    assert run_resource(rule, backup_policy) == []  # backup policies are judged by their own rules


def test_an_unprotected_scp_or_attachment_is_reported() -> None:
    rule = by_name(POLICIES, "guardrail-protected")
    policy = scp()
    assert run_stack(rule, [policy, attached(policy, "ou-ab12-22222222")]) == []
    loose = scp("loose", protect=False)
    found = run_stack(rule, [loose, attached(loose, "ou-ab12-22222222", protect=False)])
    assert sorted(m for _, m in found) == [
        "SCP loose is not protected",
        "attachment loose-ou-ab12-22222222 of SCP loose is not protected",
    ]


def test_more_than_five_scps_on_a_target_is_reported_counting_full_aws_access() -> None:
    rule = by_name(POLICIES, "guardrail-scps-per-target")
    policies = [scp(f"g{i}") for i in range(5)]
    specs = [*policies, *(attached(p, "ou-ab12-22222222") for p in policies), attached(policies[0], "444444444401")]
    found = run_stack(rule, specs)
    assert [m for _, m in found] == [
        "ou-ab12-22222222 would hold 5 SCPs of this stack plus 1 attached elsewhere; AWS allows 5"
    ]
    assert run_stack(rule, specs, {"attached_elsewhere": 0}) == []


def test_a_stack_with_vaults_and_no_scp_gets_the_advisory() -> None:
    rule = by_name(POLICIES, "guardrail-present")
    vault = Spec(VAULT, {"name": "org-backup"})
    assert [m for _, m in run_stack(rule, [vault])] == [
        "the stack creates backup vaults but attaches no service control policy to guard them"
    ]
    policy = scp()
    assert run_stack(rule, [vault, policy, attached(policy, "ou-ab12-22222222")]) == []
    assert run_stack(rule, [policy]) == []


def test_a_violation_on_the_guardrail_points_at_the_guardrail_section() -> None:
    """SARIF and the PR comment send the reader to the stack-file key to change, not to ``plans``."""
    from org_backup.preview.model import ConfigPlaces, config_path
    from tests.org_backup.preview.helpers import recorded, rule_named

    top = recorded("org-backup:guardrail:Guardrail", "guardrail", custom=False)
    policy = recorded(POLICY, "org-backup-guardrail-1", parent=top, inputs={"type": "SERVICE_CONTROL_POLICY"})
    attachment = recorded(ATTACHMENT, "a", parent=policy)
    places = ConfigPlaces(policies={}, backup_role_name="OrgBackupServiceRole")
    assert config_path([policy, top], rule_named("guardrail-scp-valid"), "too big", places) == "guardrail"
    assert config_path([attachment, policy, top], rule_named("guardrail-protected"), "x", places) == "guardrail"
    per_target = rule_named("guardrail-scps-per-target")
    assert config_path([], per_target, "x", places) == "guardrail.policies_attached_elsewhere"


def test_a_guardrail_that_exempts_the_stacksets_execution_role_or_misses_pass_role_or_the_tag_is_reported() -> None:
    """Security review F1/F4/F7: the attacker shapes of an older guardrail, each one on its own."""
    rule = by_name(POLICIES, "guardrail-hardened")
    config = config_from_stack_file(PROJECT_DIR / "Pulumi.prod.yaml").config
    stackset = config.model_copy(
        update={"member_deployment": config.member_deployment.model_copy(update={"mode": "stackset"})}
    )
    generated = [scp(f"guardrail-{i}", minified(d)) for i, d in enumerate(guardrail_scp_documents(stackset), 1)]
    assert run_stack(rule, generated) == []
    exempting = json.loads(prod_scp())
    for statement in exempting["Statement"]:
        if statement["Sid"] == "DenyReservedRoleChanges":
            statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append("arn:aws:iam::*:role/stacksets-exec-*")
    assert any("role/BackupBreakGlass" in m for _, m in run_stack(rule, [scp(content=minified(exempting))]))
    keys = json.loads(prod_scp())
    for statement in keys["Statement"]:
        if statement["Sid"] == "DenyBackupKeyChanges":
            statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append("arn:aws:iam::*:role/stacksets-exec-*")
    assert any("kms:disablekey" in m for _, m in run_stack(rule, [scp(content=minified(keys))]))
    no_pass = json.loads(prod_scp())
    for statement in no_pass["Statement"]:
        if isinstance(statement["Action"], list):
            statement["Action"] = [a for a in statement["Action"] if a != "iam:PassRole"]
    assert any("iam:PassRole" in m for _, m in run_stack(rule, [scp(content=minified(no_pass))]))
    no_tag = json.loads(prod_scp())
    no_tag["Statement"] = [s for s in no_tag["Statement"] if "org-backup:reserved" not in json.dumps(s)]
    assert any("org-backup:reserved" in m for _, m in run_stack(rule, [scp(content=minified(no_tag))]))
    assert any("not known during preview" in m for _, m in run_stack(rule, [scp(content=UNKNOWN_STRING)]))
    unrelated = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    assert run_stack(rule, [scp(content=minified(unrelated))]) == []

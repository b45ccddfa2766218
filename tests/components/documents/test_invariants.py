"""Rules every generated policy keeps, for fixed inputs and for random ones (hypothesis)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.documents import iam
from tests.components.documents.helpers import (
    all_documents,
    as_list,
    assert_policy_invariants,
    assert_vault_policy_passes_the_pack,
    canonical,
    condition_values,
    is_any_principal,
)

FIXED = all_documents(
    account_id="444455556666",
    central_account_id="111122223333",
    organization_id="o-a1b2c3d4e5",
    region="eu-west-2",
    partition="aws",
    organization_paths=("o-a1b2c3d4e5/r-ab12/ou-ab12-34cd56ef/*",),
    break_glass_names=("BackupBreakGlass", "path/SecondBreakGlass"),
    admin_role_names=("KeyAdmins",),
)


def test_every_builder_is_covered():
    assert set(FIXED) == {
        "backup_role_trust_policy",
        "organizations_delegation_policy",
        "member_backup_key_policy",
        "central_backup_key_policy",
        "member_vault_policy",
        "central_vault_policy",
        "report_bucket_policy",
        "central_event_bus_policy",
        "event_forwarding_role_trust_policy",
        "event_forwarding_role_policy",
        "alert_topic_policy",
        "alert_topic_key_policy",
    }


@pytest.mark.parametrize("name", sorted(FIXED))
def test_invariants(name):
    doc, trust = FIXED[name]
    assert_policy_invariants(doc, trust=trust)


@pytest.mark.parametrize("name", ["member_vault_policy", "central_vault_policy"])
def test_vault_policies_pass_the_pack_vault_rules(name):
    assert_vault_policy_passes_the_pack(FIXED[name][0])


@pytest.mark.parametrize("name", sorted(FIXED))
def test_via_service_is_the_configured_region(name):
    doc, _ = FIXED[name]
    for value in condition_values(doc, "kms:ViaService"):
        assert value in (
            "backup.eu-west-2.amazonaws.com",
            "ec2.eu-west-2.amazonaws.com",
            "rds.eu-west-2.amazonaws.com",
            "sns.eu-west-2.amazonaws.com",
        )


@pytest.mark.parametrize("name", sorted(FIXED))
def test_org_conditions_name_the_organization(name):
    doc, _ = FIXED[name]
    assert set(condition_values(doc, "aws:PrincipalOrgID")) <= {"o-a1b2c3d4e5"}
    for path in condition_values(doc, "aws:PrincipalOrgPaths"):
        assert path.startswith("o-a1b2c3d4e5/")


def test_minified_sorted_json_is_stable_bytes():
    doc, _ = FIXED["central_backup_key_policy"]
    text = json.dumps(doc, separators=(",", ":"), sort_keys=True)
    assert text == canonical(doc)
    assert ": " not in text and ", " not in text  # minified


# --- policy_document refuses a document that breaks the rules (checked by the policy pack's reader) ------


def _document(**statement_args):
    return iam.policy_document(iam.statement(**{"sid": "S", "resources": ["*"], **statement_args}))


def test_wildcard_allow_actions_are_refused():
    for action in ("kms:*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "*"):
        with pytest.raises(ValueError, match="no-wildcard-action"):
            _document(effect="Allow", actions=[action], principal={"AWS": "arn:aws:iam::111122223333:root"})


def test_a_wildcard_deny_is_fine():
    doc = _document(effect="Deny", principal="*", actions=["s3:*"])
    assert doc["Statement"][0]["Action"] == "s3:*"


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::111122223333:root", "*"]}])
def test_a_wildcard_allow_needs_an_organization_condition(principal):
    with pytest.raises(ValueError, match="wildcard-principal-org-condition"):
        _document(effect="Allow", principal=principal, actions=["kms:Decrypt"])
    with pytest.raises(ValueError, match="wildcard-principal-org-condition"):
        _document(
            effect="Allow",
            principal=principal,
            actions=["kms:Decrypt"],
            conditions={"StringEquals": {"aws:PrincipalAccount": "111122223333"}},
        )
    with pytest.raises(ValueError, match="wildcard-principal-org-condition"):
        _document(
            effect="Allow",
            principal=principal,
            actions=["kms:Decrypt"],
            conditions={"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        )
    doc = _document(
        effect="Allow",
        principal=principal,
        actions=["kms:Decrypt"],
        conditions=iam.organization_conditions("o-a1b2c3d4e5"),
    )
    assert doc["Statement"][0]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}


def test_a_non_regional_via_service_is_refused():
    with pytest.raises(ValueError, match="kms-via-service-form"):
        _document(
            effect="Allow",
            principal={"AWS": "arn:aws:iam::111122223333:role/R"},
            actions=["kms:Decrypt"],
            conditions={"StringEquals": {"kms:ViaService": "backup.amazonaws.com"}},
        )


def test_sids_are_explicit():
    with pytest.raises(ValueError, match="explicit Sid"):
        _document(sid="", effect="Deny", principal="*", actions=["s3:*"])


@pytest.mark.parametrize("sid", ["Has space", "dash-ed", "dot.", "Allow use of the key"])
def test_non_alphanumeric_sids_are_refused(sid):
    with pytest.raises(ValueError, match="sid-format"):
        _document(sid=sid, effect="Deny", principal="*", actions=["s3:*"])


def test_duplicate_sids_are_refused():
    st = iam.statement(sid="Same", effect="Deny", principal="*", actions=["s3:*"], resources=["*"])
    with pytest.raises(ValueError, match="duplicate-sid"):
        iam.policy_document(st, st)


def test_explicit_principals_cannot_be_wildcards():
    with pytest.raises(ValueError, match="wildcard"):
        iam.aws_principal(["arn:aws:iam::*:role/Admin"])


def test_effect_must_be_allow_or_deny():
    with pytest.raises(ValueError, match="effect-value"):
        _document(effect="allow", actions=["s3:GetObject"])


# --- hypothesis: random identifiers never break the invariants ------------------------------------------

account_ids = st.from_regex(r"\A[0-9]{12}\Z")
organization_ids = st.from_regex(r"\Ao-[a-z0-9]{10,32}\Z")
regions = st.builds(
    lambda area, direction, n: f"{area}-{direction}-{n}",
    st.sampled_from(["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"]),
    st.sampled_from(["east", "west", "north", "south", "central", "northeast", "southeast", "gov-west"]),
    st.integers(min_value=1, max_value=9),
)
partitions = st.sampled_from(["aws", "aws-us-gov", "aws-cn"])
role_names = st.from_regex(r"\A[A-Za-z0-9+=,.@_-]{1,64}\Z")


@st.composite
def inputs(draw):
    organization_id = draw(organization_ids)
    ou_paths = draw(
        st.lists(st.from_regex(r"\Aou-[a-z0-9]{4}-[a-z0-9]{8}\Z"), max_size=3, unique=True).map(
            lambda ous: tuple(f"{organization_id}/r-ab12/{ou}/*" for ou in ous)
        )
    )
    return {
        "account_id": draw(account_ids),
        "central_account_id": draw(account_ids),
        "organization_id": organization_id,
        "region": draw(regions),
        "partition": draw(partitions),
        "root_id": draw(st.from_regex(r"\Ar-[0-9a-z]{4,32}\Z")),
        "backup_role_name": draw(role_names),
        "organization_paths": ou_paths,
        "break_glass_names": tuple(draw(st.lists(role_names, min_size=1, max_size=5, unique=True))),
        "admin_role_names": tuple(draw(st.lists(role_names, max_size=2, unique=True))),
        "bucket_name": draw(st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,40}[a-z0-9]\Z")),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs())
def test_random_inputs_keep_the_invariants(values):
    documents = all_documents(**values)
    suffix = ".amazonaws.com.cn" if values["partition"] == "aws-cn" else ".amazonaws.com"
    for name in ("member_vault_policy", "central_vault_policy"):
        assert_vault_policy_passes_the_pack(documents[name][0])
    for doc, trust in documents.values():
        assert_policy_invariants(doc, trust=trust)
        for via in condition_values(doc, "kms:ViaService"):
            assert via.split(".", 1)[1] == f"{values['region']}{suffix}"
        assert set(condition_values(doc, "aws:PrincipalOrgID")) <= {values["organization_id"]}
        for statement in doc["Statement"]:
            principal = statement.get("Principal", {})
            if not is_any_principal(principal):
                for arn in as_list(principal.get("AWS", [])):
                    assert arn.startswith(f"arn:{values['partition']}:iam::")
        assert set(re.findall(r"arn:([a-z-]+):", canonical(doc))) <= {values["partition"]}

"""What OrganizationSettings registers for the organization-wide settings other teams share (issue 9 items 6-7).

Run under the same mock engine and recorder as the whole program (``org_backup.preview.offline.run_callable``), so the
resource options (protect, retain_on_delete) are the ones the engine would receive.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws
import pytest

from components.documents.delegation_policy import SID_PREFIX
from components.documents.global_settings import backup_global_settings
from components.organization import OrganizationSettings
from org_backup.preview.offline import ProgramRun, RecordedResource, run_callable
from stackconfig.model import Organization

BASE: dict[str, Any] = {
    "id": "o-exampleorg1",
    "root_id": "r-ab12",
    "management_account_id": "111111111111",
    "backup_admin_account_id": "222222222222",
    "central_vault_account_id": "333333333333",
    "workload_regions": ["eu-west-1"],
    "dr_regions": ["eu-central-1"],
}
GLOBAL_SETTINGS = "aws:backup/globalSettings:GlobalSettings"
DYNAMIC = "pulumi-python:dynamic:Resource"


def _run(org: Organization, role_arn: str | None = None) -> ProgramRun:
    def program() -> None:
        provider = aws.Provider("management", region=org.primary_region)
        OrganizationSettings("organization", org=org, provider=provider, management_role_arn=role_arn)

    return run_callable(program, stack="test")


def _only(run: ProgramRun, type_token: str, name: str | None = None) -> RecordedResource:
    found = [r for r in run.of_type(type_token) if name is None or r.name == name]
    assert len(found) == 1, [r.urn for r in run.of_type(type_token)]
    return found[0]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, {"isCrossAccountBackupEnabled": "true", "isDelegatedAdministratorEnabled": "true"}),
        (
            {"enable_mpa": False},
            {"isCrossAccountBackupEnabled": "true", "isDelegatedAdministratorEnabled": "true", "isMpaEnabled": "false"},
        ),
        (
            {"enable_mpa": True},
            {"isCrossAccountBackupEnabled": "true", "isDelegatedAdministratorEnabled": "true", "isMpaEnabled": "true"},
        ),
    ],
    ids=["mpa-not-set", "mpa-false", "mpa-true"],
)
def test_global_settings_hold_only_the_keys_the_program_needs_or_the_config_sets(
    config: dict[str, Any], expected: dict[str, str]
) -> None:
    org = Organization.model_validate({**BASE, **config})

    settings = _only(_run(org), GLOBAL_SETTINGS)

    assert settings.inputs["globalSettings"] == expected
    assert backup_global_settings(org) == expected
    assert settings.retain_on_delete, "deleting the stack must not touch organization-wide settings"


def test_delegation_statements_replace_the_whole_policy_resource_and_are_protected() -> None:
    org = Organization.model_validate(BASE)
    role = "arn:aws:iam::111111111111:role/OrgBackupDeploy"

    run = _run(org, role)

    assert run.of_type("aws:organizations/resourcePolicy:ResourcePolicy") == []
    delegation = _only(run, DYNAMIC, "organization-backup-delegation-statements")
    assert delegation.protect
    assert (delegation.inputs["management_account_id"], delegation.inputs["role_arn"]) == ("111111111111", role)
    statements = json.loads(delegation.inputs["content"])["Statement"]
    assert statements and all(s["Sid"].startswith(SID_PREFIX) for s in statements)
    assert all(s["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"} for s in statements)
    admin = _only(run, "aws:organizations/delegatedAdministrator:DelegatedAdministrator")
    assert admin.urn in delegation.dependencies


def test_policy_type_is_guarded_to_the_management_account() -> None:
    run = _run(Organization.model_validate(BASE))

    policy_type = _only(run, DYNAMIC, "organization-backup-policy-type")

    assert policy_type.inputs["management_account_id"] == "111111111111"
    assert policy_type.protect

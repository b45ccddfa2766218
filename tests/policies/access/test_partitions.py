"""Who can destroy backups in a GovCloud or China stack: the prod stack moved to another partition has prod's
matrix, once the partition and the Regions are read alike; and a policy that does not admit a source account
there is still reported (the analysis reads the partition, it does not ignore one that does not match)."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from components.program import offline_tree
from deployment.load import load_config
from org_backup.preview.access_report import access_matrix
from org_backup.preview.offline import ProgramRun, load_stack_config, run_program
from policies.access import AccessMatrix
from policies.access.partition import service_endpoint, stack_partition
from stackconfig.load import sections_from_pulumi_config

REGIONS = {
    "aws": (("us-east-1", "eu-west-1"), "us-west-2"),
    "aws-us-gov": (("us-gov-west-1",), "us-gov-east-1"),
    "aws-cn": (("cn-north-1",), "cn-northwest-1"),
}
"""Each partition's (workload Regions, DR Region): prod's, and those a GovCloud or China user would choose."""
CASES = [
    ("aws", "direct"),
    ("aws", "stackset"),
    ("aws-us-gov", "direct"),
    ("aws-us-gov", "stackset"),
    ("aws-cn", "direct"),
]
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
CENTRAL_ACCOUNT = "333333333333"
NON_PROD_OU_PATH = "o-a1b2c3d4e5/*/ou-ab12-22222222/*"


def _without_air_gapped(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_air_gapped(v) for k, v in value.items() if k != "air_gapped"}
    if isinstance(value, list):
        return [_without_air_gapped(v) for v in value]
    return value


def stack_config(partition: str, mode: str) -> dict[str, Any]:
    """prod's stack file; in another partition with its two Regions, as a GovCloud or China user would write it."""
    config = copy.deepcopy(load_stack_config("prod"))
    if partition != "aws":
        (workload,), dr = REGIONS[partition]
        config = json.loads(json.dumps(config).replace(f'"{REGIONS["aws"][1]}"', f'"{dr}"'))
        config["aws:region"] = workload
        config["org-backup:organization"].update(partition=partition, workload_regions=[workload], dr_regions=[dr])
    if mode == "stackset":
        config["org-backup:member_deployment"] = {"mode": "stackset"}
        config["org-backup:plans"] = _without_air_gapped(config.get("org-backup:plans") or {})
    return config


def analysed(config: dict[str, Any], run: ProgramRun | None = None) -> AccessMatrix:
    tree = offline_tree(load_config(sections_from_pulumi_config(config)).config, "prod")
    return access_matrix(run or run_program(config, stack="prod"), tree)


def normalised(matrix: AccessMatrix, partition: str) -> set[str]:
    """Every cell as JSON with the partition, its Regions and their endpoint names written as tokens (a set: prod
    has two workload Regions where the moved stacks have one)."""
    workload, dr = REGIONS[partition]
    text = json.dumps([c.as_dict() for c in matrix.cells], sort_keys=True)
    text = text.replace(f"arn:{partition}:", "arn:PARTITION:")
    for region, token in [*((r, "WORKLOAD-REGION") for r in workload), (dr, "DR-REGION")]:
        text = text.replace(service_endpoint("backup", region, partition), f"backup.{token}.ENDPOINT")
        text = text.replace(region, token)
    return {json.dumps(c, sort_keys=True) for c in json.loads(text)}


@pytest.fixture(scope="module")
def matrices() -> dict[tuple[str, str], AccessMatrix]:
    return {(partition, mode): analysed(stack_config(partition, mode)) for partition, mode in CASES}


@pytest.mark.parametrize(
    ("partition", "mode"), [c for c in CASES if c[0] != "aws"], ids=[f"{p}-{m}" for p, m in CASES if p != "aws"]
)
def test_a_govcloud_or_china_stack_has_the_matrix_of_the_same_stack_in_aws(
    matrices: dict[tuple[str, str], AccessMatrix], partition: str, mode: str
):
    prod, moved = matrices[("aws", mode)], matrices[(partition, mode)]
    assert prod.broken() == [] and prod.weakening(), "prod's own verdicts: every copy allowed, advisory cells"
    assert moved.broken() == [], [f"{c.target}: {c.principal}: {c.reason}" for c in moved.broken()][:3]
    assert len(moved.open_to_attackers()) == len(prod.open_to_attackers())
    assert len(moved.weakening()) == len(prod.weakening())
    assert {t.partition for t in moved.targets} == {partition}
    assert normalised(moved, partition) == normalised(prod, "aws")


def test_the_china_backup_role_is_asked_about_through_the_china_endpoint(
    matrices: dict[tuple[str, str], AccessMatrix],
):
    """The central key admits AWS Backup's calls by kms:ViaService, whose value is the endpoint name: in China
    backup.<region>.amazonaws.com.cn (https://docs.amazonaws.cn/en_us/aws/latest/userguide/endpoints-Beijing.html)."""
    matrix = matrices[("aws-cn", "direct")]
    cells = [c for c in matrix.cells if c.required and c.action_class == "encrypt copies (via AWS Backup)"]
    assert cells and all(c.allowed for c in cells)
    key = next(t for t in matrix.targets if t.kind == "key" and t.role == "central")
    assert "backup.cn-northwest-1.amazonaws.com.cn" in (key.policy or "")


def test_the_partition_is_that_of_the_roles_the_providers_assume():
    gov = "arn:aws-us-gov:iam::444444444401:role/OrganizationAccountAccessRole"
    assert stack_partition([gov, gov.replace("444444444401", "444444444402"), None]) == "aws-us-gov"
    assert stack_partition([]) == "aws", "a stack that names none"
    assert stack_partition([gov, gov.replace("aws-us-gov", "aws-cn")]) == "aws", "several: none can be deployed"


def _central_vault_policy_edited(run: ProgramRun, edit: Any) -> ProgramRun:
    resources = []
    for r in run.resources:
        central = r.type == VAULT_POLICY and r.account == CENTRAL_ACCOUNT
        resources.append(
            dataclasses.replace(r, inputs={**r.inputs, "policy": edit(r.inputs["policy"])}) if central else r
        )
    return dataclasses.replace(run, resources=resources)


@pytest.fixture(scope="module")
def gov_run() -> tuple[dict[str, Any], ProgramRun]:
    config = stack_config("aws-us-gov", "direct")
    return config, run_program(config, stack="prod")


def test_a_gov_central_vault_policy_that_does_not_admit_an_ou_is_still_reported(
    gov_run: tuple[dict[str, Any], ProgramRun],
):
    config, run = gov_run
    edited = _central_vault_policy_edited(run, lambda p: p.replace(f'"{NON_PROD_OU_PATH}"', '"o-a1b2c3d4e5/*/ou-x/*"'))
    matrix = analysed(config, edited)
    broken = matrix.broken()
    assert {c.principal.rsplit(" of ", 1)[1] for c in broken} == {
        "555555555501",
        "555555555502",
        "555555555503",
        "555555555504",
    }
    assert all(c.target == "333333333333 us-gov-east-1: vault org-backup-central" for c in broken)


def test_a_gov_central_vault_policy_naming_the_aws_partition_admits_no_backup_role(
    gov_run: tuple[dict[str, Any], ProgramRun],
):
    """The realistic mistake: a policy written for the commercial partition. Its ArnLike names roles that cannot
    exist in GovCloud, so no copy comes in: every targeted account's copy is reported."""
    config, run = gov_run
    edited = _central_vault_policy_edited(run, lambda p: p.replace("arn:aws-us-gov:iam::*:", "arn:aws:iam::*:"))
    matrix = analysed(config, edited)
    members = {t.account for t in matrix.targets if t.role == "member" and t.kind == "vault"}
    broken = [c for c in matrix.broken() if c.action_class == "copy into the vault"]
    assert len(members) == 8 and {c.principal.rsplit(" of ", 1)[1] for c in broken} == members

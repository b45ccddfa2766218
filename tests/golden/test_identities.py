"""Golden tests for the identities whose change makes Pulumi replace protected resources (issue 11 item 8).

A backup policy's name, a component's type token and a resource's name are all part of a URN: change one and
``pulumi up`` deletes the old resource and creates a new one (for protected resources it refuses, and the
deployment is stuck until someone removes the protection by hand). A SARIF fingerprint is what code scanning
matches alerts by: change it and every open alert closes and reopens as new. Each is compared with a file in
``tests/golden/``; a difference fails the test, whatever the reason.

When the change is intended (a new protected resource, a renamed plan), regenerate and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest -p no:cacheprovider tests/golden

and say in the commit message which identities changed and why.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.documents.backup_policy import group_key
from org_backup.preview.offline import ProgramRun, load_stack_config, run_program
from org_backup.preview.sarif import FINGERPRINT, violation_result
from policies.backup_rules.findings import Finding
from policies.backup_rules.names import COMPONENT_TYPES

GOLDEN = Path(__file__).parent
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
BACKUP_POLICY_TYPE_TOKEN = "aws:organizations/policy:Policy"


def golden(name: str, actual: Any) -> None:
    """``actual`` equals the JSON in ``tests/golden/<name>`` (rewritten instead when UPDATE_GOLDEN=1)."""
    path = GOLDEN / name
    text = json.dumps(actual, indent=1, sort_keys=True) + "\n"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing: regenerate with UPDATE_GOLDEN=1 (see this module's docstring)"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, (
        f"{name} changed: this replaces resources or reopens alerts. If intended, regenerate with "
        "UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden and review the diff"
    )


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    return run_program(load_stack_config("prod"), stack="prod")


def test_policy_name_hash_is_sha256_of_the_sorted_targets() -> None:
    """The 8 characters behind the previous scheme's policy names (``<prefix>-<group key of the targets>-<n>``,
    which the migration aliases must reproduce) and packed ones (``<prefix>-plans-<group key of the plans>``);
    sha1 or another order fails."""
    cases = {
        "r-root": group_key(["r-root"]),
        "ou-b,ou-a (order and duplicates do not matter)": group_key(["ou-b", "ou-a", "ou-b"]),
        "111111111111": group_key(["111111111111"]),
    }
    assert cases["ou-b,ou-a (order and duplicates do not matter)"] == group_key(["ou-a", "ou-b"])
    golden("policy_group_keys.json", cases)


def test_backup_policy_names_of_prod(prod: ProgramRun) -> None:
    policies = [r for r in prod.of_type(BACKUP_POLICY_TYPE_TOKEN) if r.inputs.get("type") == "BACKUP_POLICY"]
    assert policies, "prod renders no backup policy"
    golden("prod_backup_policy_names.json", sorted(str(r.inputs["name"]) for r in policies))


PREVIOUS_PROD_POLICY_NAMES = {"org-backup-3d3b2871-1", "org-backup-eed2e052-1"}
"""What prod's policies were named until one policy per plan (tests/golden/prod_backup_policy_names.json at
7b75678): the names deployed stacks hold, which the migration aliases must keep naming."""


def test_backup_policy_aliases_of_prod(prod: ProgramRun) -> None:
    """Each previous policy is the alias of one new policy (renamed in place on the first ``pulumi up``) and its
    attachments of that policy's attachments, target for target."""
    policies = [r for r in prod.of_type(BACKUP_POLICY_TYPE_TOKEN) if r.inputs.get("type") == "BACKUP_POLICY"]
    aliases = {r.name: [a.rsplit("::", 1)[1] for a in r.aliases] for r in policies if r.aliases}
    assert {name for names in aliases.values() for name in names} == PREVIOUS_PROD_POLICY_NAMES
    assert all(len(names) == 1 for names in aliases.values())
    for attachment in prod.of_type("aws:organizations/policyAttachment:PolicyAttachment"):
        parent = next((n for n in aliases if attachment.name.startswith(f"{n}-")), None)
        if parent is not None:
            target = attachment.name.removeprefix(f"{parent}-")
            assert [a.rsplit("::", 1)[1] for a in attachment.aliases] == [f"{aliases[parent][0]}-{target}"]
    golden("prod_backup_policy_aliases.json", aliases)


def test_component_type_tokens(prod: ProgramRun) -> None:
    """Every token the program registers is declared in policies.backup_rules.names, and none has changed."""
    registered = sorted({r.type for r in prod.resources if r.type.startswith("org-backup:")})
    assert set(registered) <= set(COMPONENT_TYPES), set(registered) - set(COMPONENT_TYPES)
    golden("component_types.json", {"declared": sorted(COMPONENT_TYPES), "registered_by_prod": registered})


def test_urns_of_protected_resources_in_prod(prod: ProgramRun) -> None:
    """The URN (stack, project, parent types, type, name) of everything ``pulumi up`` may never delete."""
    protected = sorted(r.urn for r in prod.resources if r.protect)
    assert protected, "prod protects nothing"
    golden("prod_protected_urns.json", protected)


def test_sarif_fingerprints() -> None:
    """Code scanning matches alerts by partialFingerprints: the key name, the hash and its inputs are pinned."""
    violation = Finding(
        "vaults.member.lock",
        None,
        "backup-vault-locked",
        "the vault has no Vault Lock",
        "error",
        remediation="add vaults.member.lock",
        account="111111111111",
        region="us-east-1",
        resource="urn:pulumi:prod::org-backup::aws:backup/vault:Vault::member-111111111111-us-east-1-vault",
        impact="high",
    )
    stackless = replace(violation, resource=None)
    prints = {
        "key": FINGERPRINT,
        "resource": violation_result(violation, 0, "Pulumi.prod.yaml", {})["partialFingerprints"],
        "stack-level (config path instead of URN)": violation_result(stackless, 0, "Pulumi.prod.yaml", {})[
            "partialFingerprints"
        ],
    }
    golden("sarif_fingerprints.json", prints)

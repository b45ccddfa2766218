"""``org-backup init``: read the caller's organization (read only) and write a starter stack file and inventory.

The organization is read the way ``org_backup.ops.inventory`` reads it (``org_backup.ops.organization.read_organization``), with
the same read-only client guard, from the management account's credentials. The stack file it writes loads
cleanly: governance-mode locks (removable, unlike compliance mode), every top-level OU targeted, one daily plan
that only selects resources tagged ``backup: daily``, and more plans as comments. Values it had to guess (the
backup administrator and central vault account, the Regions) are marked ``REVIEW``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from org_backup.ops.aws import Aws, CannotRunError, error_code
from org_backup.ops.common import EXIT_CANNOT_RUN, EXIT_OK, PROJECT_DIR, policy_config_path
from org_backup.ops.inventory import render_inventory, write_inventory
from org_backup.ops.organization import read_organization
from policies.backup_rules.limits import RDS_AURORA_RESOURCE_TYPES
from stackconfig.inventory import Inventory
from stackconfig.regions import partition_of

COMMAND = "init"
DEFAULT_REGION = "us-east-1"
ADMIN_HINTS = ("backup-admin", "backup", "security", "audit", "log")
"""Account names that suggest where the delegated administrator belongs (AWS advises a dedicated account)."""
DR_PAIRS = {
    "us-east-1": "us-west-2",
    "us-east-2": "us-west-2",
    "us-west-2": "us-east-1",
    "us-west-1": "us-east-1",
    "eu-west-1": "eu-central-1",
    "eu-central-1": "eu-west-1",
    "eu-west-2": "eu-west-1",
    "ap-southeast-2": "ap-southeast-1",
    "ap-southeast-1": "ap-southeast-2",
    "ap-northeast-1": "ap-northeast-3",
}

STACK_TEMPLATE = """\
# Starter stack written by `org-backup init --stack {stack}` from organization {org_id}.
# Review every line marked REVIEW, then `org-backup preview --stack {stack}`. Reference: README, "Configuration".
config:
  aws:region: {home}
  org-backup:organization:
    partition: {partition}
    id: {org_id}
    root_id: {root_id}
    management_account_id: "{management}"
    # REVIEW: AWS advises a dedicated account, not the management account. Guessed: {admin_name}.
    backup_admin_account_id: "{admin}"
    central_vault_account_id: "{admin}"
    # REVIEW: where your workloads run, and where their copies should survive a Regional outage.
    workload_regions: [{home}]
    dr_regions: [{dr}]
  org-backup:targets:
    # REVIEW: every active account under these OUs gets a locked vault, a key and the plans below.
    organizational_units:
{targets}
  org-backup:accounts:
    source: inventory
    inventory_file: {inventory}
  org-backup:vaults:
    # Governance mode first: a compliance lock can never be removed after changeable_for_days.
    member:
      name: org-backup
      lock: {{mode: governance, min_retention_days: 7, max_retention_days: 3650}}
    central:
      name: org-backup-central
      lock: {{mode: governance, min_retention_days: 7, max_retention_days: 3650}}
  org-backup:plans:
    # Backs up only what is tagged backup=daily, so nothing changes until teams opt in. RDS and Aurora are left
    # out: AWS Backup cannot copy them to another account and another Region in one step; give them their own
    # plan that copies within the Region first (README, "Copy paths").
    daily:
      rules:
        daily:
          schedule: daily
          retention_days: 35
          copies: [{{region: {dr}, retention_days: 35}}]
      selections:
        resources:
          opted-in:
            resource_types: ["*"]
            not_resource_types: [{rds_types}]
            conditions: {{string_equals: {{"aws:ResourceTag/backup": daily}}}}
    # weekly:
    #   rules:
    #     weekly: {{schedule: weekly, retention_days: 90, copies: [{{region: {dr}, retention_days: 90}}]}}
    #   selections:
    #     tags:
    #       opted-in: {{key: backup, values: [weekly]}}
    # databases:
    #   rules:
    #     hourly: {{schedule: hourly, retention_days: 7}}
    #   selections:
    #     resources:
    #       rds: {{resource_types: ["arn:aws:rds:*:*:db:*"]}}
"""


# The pack's policy config while the central vault is in governance mode (the starter's first deploy): the
# copy-destination rule accepts a governance lock until `lock: {mode: compliance, ...}` is set and this file is
# deleted. JSON holds no comment; `init` says so when it writes it, and the README ("Adopt it") too.
ADOPTION_POLICY_CONFIG = '{\n  "backup-copy-destination-locked": {"requireComplianceMode": false}\n}\n'


def _admin(inventory: Inventory, management: str) -> tuple[str, str]:
    """The account that most looks like a backup or security account; else the first other active one."""
    candidates = [a for a in inventory.accounts if a.id != management and a.status == "ACTIVE"]
    if not candidates:
        raise CannotRunError("the organization has no active account besides the management account")
    for hint in ADMIN_HINTS:
        for account in candidates:
            if hint in account.name.lower():
                return account.id, f"{account.name}, by its name"
    return candidates[0].id, f"{candidates[0].name}, the first active account"


def stack_text(inventory: Inventory, management: str, stack: str, home: str) -> str:
    admin, admin_name = _admin(inventory, management)
    top = [ou for ou in inventory.organizational_units if ou.parent_id == inventory.root_id]
    targets = "\n".join(f"      - {{name: {ou.name!r}, id: {ou.id}}}" for ou in top) or "      []"
    partition = partition_of(home) or "aws"
    return STACK_TEMPLATE.format(
        stack=stack,
        partition=partition,
        rds_types=", ".join(
            f'"{t.replace("arn:aws:", f"arn:{partition}:", 1)}"' for t in sorted(RDS_AURORA_RESOURCE_TYPES)
        ),
        org_id=inventory.organization_id,
        root_id=inventory.root_id,
        management=management,
        admin=admin,
        admin_name=admin_name,
        home=home,
        dr=DR_PAIRS.get(home, "us-west-2" if home != "us-west-2" else "us-east-1"),
        targets=targets,
        inventory=f"inventory/{stack}.yaml",
    )


def run(
    aws: Aws, stack: str, stack_file: Path, project_dir: Path, *, force: bool, region: str
) -> tuple[Path, Path, Inventory]:
    """Read the organization and write both files; nothing is written if either exists (unless ``force``)."""
    inventory_file = project_dir / "inventory" / f"{stack}.yaml"
    policy_config = policy_config_path(project_dir, stack)
    existing = [p for p in (stack_file, inventory_file, policy_config) if p.exists()]
    if existing and not force:
        raise CannotRunError(f"{' and '.join(map(str, existing))} already exist(s); pass --force to overwrite")
    caller = aws.caller_identity(region)
    organizations = aws.client("organizations", region)
    try:
        management = str(organizations.describe_organization()["Organization"]["MasterAccountId"])
        if caller["Account"] != management:
            raise CannotRunError(
                f"run with credentials of the management account {management} (these are {caller['Account']})"
            )
        inventory = read_organization(organizations)
    except (ClientError, BotoCoreError) as exc:
        raise CannotRunError(f"cannot read the organization as {caller['Arn']} ({error_code(exc)})") from None
    text = stack_text(inventory, management, stack, region)
    stack_file.parent.mkdir(parents=True, exist_ok=True)
    write_inventory(inventory_file, render_inventory(inventory, stack))
    stack_file.write_text(text, encoding="utf-8")
    policy_config.parent.mkdir(parents=True, exist_ok=True)
    policy_config.write_text(ADOPTION_POLICY_CONFIG, encoding="utf-8")
    return stack_file, inventory_file, inventory


def main(args: argparse.Namespace) -> int:
    """``org-backup init``; ``args`` carries the common flags plus ``force`` and ``project_dir``."""
    stack = args.stack or "prod"
    project_dir = Path(args.project_dir) if args.project_dir else PROJECT_DIR
    stack_file = Path(args.config) if args.config else project_dir / f"Pulumi.{stack}.yaml"
    try:
        aws = Aws.connect(profile=args.profile, endpoint_url=args.endpoint_url, command=COMMAND)
        region = aws.session.region_name or DEFAULT_REGION
        written, inventory_file, inventory = run(aws, stack, stack_file, project_dir, force=args.force, region=region)
    except CannotRunError as exc:
        print(f"{COMMAND}: cannot run: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    print(
        f"wrote {written} and {inventory_file}: organization {inventory.organization_id}, "
        f"{len(inventory.accounts)} accounts, {len(inventory.organizational_units)} OUs.\n"
        f"policy-config/{stack}.json lets the copies land in the governance-mode central vault while you adopt; "
        f"delete it when vaults.central.lock.mode is compliance.\n"
        f"Next: review the lines marked REVIEW, then `org-backup preview --stack {stack}`."
    )
    return EXIT_OK

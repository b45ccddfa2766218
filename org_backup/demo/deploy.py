"""A stack deployed into a running moto server: its organization, every resource the program registers, workloads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deployment.load import config_from_stack_file
from org_backup.demo.appliers import appliers
from org_backup.demo.apply import Accounts, Deployment, apply_run
from org_backup.demo.organization import DemoOrganization, create_organization, ready_organization
from org_backup.demo.seed import Workloads, seed
from org_backup.demo.server import DemoServer, fill_moto_gaps
from org_backup.demo.standin import StandIn
from org_backup.preview.offline import PROJECT_DIR, load_stack_config, run_program, stack_file
from stackconfig.inventory import inventory_path, load_inventory
from stackconfig.model import StackConfig

__all__ = ["Demo", "deploy_stack"]


@dataclass
class Demo:
    stack: str
    stack_file: Path
    config: StackConfig
    server: DemoServer
    organization: DemoOrganization
    standin: StandIn
    deployment: Deployment
    workloads: Workloads


def deploy_stack(server: DemoServer, stack: str, project_dir: Path = PROJECT_DIR) -> Demo:
    """Create the organization of the stack's inventory, apply the program's resources, seed workloads and jobs."""
    fill_moto_gaps()
    path = stack_file(stack, project_dir)
    config = config_from_stack_file(path).config
    inventory = load_inventory(inventory_path(config, stack, project_dir))
    organization = create_organization(server, inventory, config.organization.management_account_id)
    run = run_program(load_stack_config(stack, path, project_dir), stack=stack, project_dir=project_dir)
    standin = StandIn(server)
    accounts = Accounts(
        server.endpoint_url,
        config.organization.management_account_id,
        organization.caller,
        config.organization.deploy_role_arn,
        standin,
    )
    ready_organization(accounts, config, inventory)
    deployment = apply_run(run, accounts, appliers())
    workloads = seed(config, path, deployment, standin)
    return Demo(stack, path, config, server, organization, standin, deployment, workloads)

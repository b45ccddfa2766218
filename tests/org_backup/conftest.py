"""The operations tests' moto organization, reused for the command's own end-to-end tests."""

from tests.org_backup.ops.conftest import managed_policies, org

__all__ = ["managed_policies", "org"]

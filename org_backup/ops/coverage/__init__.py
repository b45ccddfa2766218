"""Resource-level coverage: is every resource that should be backed up backed up, recently, and copied?

For each targeted member account and Region (excluded OUs and accounts are never read), every resource of the
types AWS Backup supports that coverage reads (EC2, EBS, RDS, Aurora, DynamoDB, EFS, FSx, S3), with the plans of
the account's effective backup policy that select it, its newest recovery point against the schedule, whether
the central vault holds a copy, and whether its key blocks a cross-account copy. Statuses: ``status``; sources
and the AWS pages they rest on: ``sources``; selection: ``selection``.

API for other commands (``org-backup demo``, verify, the audit report)::

    from org_backup.ops import coverage
    result = coverage.run(stack, aws, workers=16, aggregator=None, sink=None)   # -> coverage.CoverageResult

- ``stack``: ``org_backup.ops.common.Stack``; ``aws``: ``org_backup.ops.aws.Aws``.
- ``aggregator``: ``coverage.Aggregator(name, account_id, region)`` to read resources from an AWS Config
  aggregator (cheaper: one query per 50 accounts); None reads each service in each account.
- ``sink``: called with each ``coverage.ResourceCoverage`` as it is judged (stream them to a file); the result
  keeps only the summaries (``result.summary.by_ou/by_account/by_type``: status -> count) and the unprotected
  resources (``result.summary.unprotected``), so memory does not grow with the protected ones.
- ``result.findings``: accounts, Regions and sources that could not be read (``policies.backup_rules.findings.Finding``).
- ``coverage.render.tables(result)`` gives the text tables; ``ResourceCoverage.to_json(now)`` one JSON entry.
"""

from org_backup.ops.coverage.run import Aggregator, CoverageResult, Sink, run
from org_backup.ops.coverage.status import STATUSES, UNPROTECTED, CoverageSummary, ResourceCoverage, Status

__all__ = [
    "STATUSES",
    "UNPROTECTED",
    "Aggregator",
    "CoverageResult",
    "CoverageSummary",
    "ResourceCoverage",
    "Sink",
    "Status",
    "run",
]

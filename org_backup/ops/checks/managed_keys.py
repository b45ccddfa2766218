"""verify's AWS-managed-key check: resources a plan copies to another account must not use an AWS managed key.

AWS refuses cross-account copies of backups under AWS managed keys
(https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html: "if your resources
are encrypted with a customer managed key, you must share this customer managed key with the destination
account"; an AWS managed key's policy cannot be changed to share it). A resource names its key by key id, key
ARN, alias name or alias ARN, all of which DescribeKey accepts
(https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html). An alias under ``alias/aws/`` is
AWS managed whatever DescribeKey says: that prefix "is reserved for AWS managed key"
(https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html). Any other answer KMS gives (no
KeyMetadata, no KeyManager, AccessDenied, NotFound, throttling once the client's retries are spent) becomes a
warning that names the key: never a traceback, and never a silent pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from org_backup.ops.aws import AccountAccess, error_code, paginate
from policies.backup_rules.arns import ACCOUNT_PLACEHOLDER, parse_vault_arn
from policies.backup_rules.backup_policy.parse import ParsedPlan
from policies.backup_rules.findings import Finding
from policies.backup_rules.selections import policy_selection_selects

AWS_MANAGED_ALIAS_PREFIX = "alias/aws/"
KeyManager = Literal["AWS", "CUSTOMER", "UNKNOWN"]


@dataclass(frozen=True)
class Resource:
    arn: str
    what: str
    key: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class KeyVerdict:
    """Who manages a key, the name to show for it, and why verify could not tell (``manager`` UNKNOWN)."""

    manager: KeyManager
    name: str
    why: str = ""


def _tags(pairs: Sequence[Mapping[str, str]]) -> dict[str, str]:
    return {p["Key"]: p["Value"] for p in pairs if "Key" in p and "Value" in p}


def encrypted_resources(access: AccountAccess, region: str, partition: str) -> Iterator[Resource]:
    """Encrypted resources whose backups keep the resource's own key (not fully managed by AWS Backup)."""
    rds = access.client("rds", region)
    for db in paginate(rds, "describe_db_instances", "DBInstances"):
        if (
            db.get("StorageEncrypted")
            and db.get("KmsKeyId")
            and db.get("DBInstanceArn")
            and not db.get("DBClusterIdentifier")
        ):
            yield Resource(db["DBInstanceArn"], "RDS DB instance", db["KmsKeyId"], _tags(db.get("TagList", [])))
    for cluster in paginate(rds, "describe_db_clusters", "DBClusters"):
        if cluster.get("StorageEncrypted") and cluster.get("KmsKeyId") and cluster.get("DBClusterArn"):
            yield Resource(
                cluster["DBClusterArn"], "RDS DB cluster", cluster["KmsKeyId"], _tags(cluster.get("TagList", []))
            )
    for volume in paginate(access.client("ec2", region), "describe_volumes", "Volumes"):
        if volume.get("Encrypted") and volume.get("KmsKeyId") and volume.get("VolumeId"):
            arn = f"arn:{partition}:ec2:{region}:{access.account_id}:volume/{volume['VolumeId']}"
            yield Resource(arn, "EBS volume", volume["KmsKeyId"], _tags(volume.get("Tags", [])))


def cross_account_copies(
    plans: Iterable[ParsedPlan], account_id: str, region: str
) -> list[tuple[ParsedPlan, list[str]]]:
    """The plans that run in ``region`` and copy to a vault of another account, with those vaults."""
    out = []
    for plan in plans:
        destinations = sorted(
            {
                copy.destination_arn
                for rule in plan.rules
                for copy in rule.copy_actions
                if (vault := parse_vault_arn(copy.destination_arn)) is not None
                and vault.account not in (ACCOUNT_PLACEHOLDER, account_id)
            }
        )
        if region in plan.regions and destinations:
            out.append((plan, destinations))
    return out


def alias_name(reference: str) -> str | None:
    """``alias/x`` for an alias name or alias ARN (``arn:aws:kms:<region>:<account>:alias/x``), else None."""
    if reference.startswith("alias/"):
        return reference
    _, separator, rest = reference.partition(":alias/")
    return f"alias/{rest}" if reference.startswith("arn:") and separator else None


def key_id(reference: str) -> str:
    """The key id of a key id or key ARN (``arn:aws:kms:<region>:<account>:key/<id>``)."""
    _, separator, rest = reference.partition(":key/")
    return rest if reference.startswith("arn:") and separator else reference


class KeyResolver:
    """Who manages each key a resource names, asked once per key reference and account-Region."""

    def __init__(self, kms: Any) -> None:
        self._kms = kms
        self._verdicts: dict[str, KeyVerdict] = {}
        self._aws_aliases: dict[str, str] | None = None

    def _aliases(self) -> dict[str, str]:
        """Key id -> AWS managed alias; an alias list KMS refuses leaves DescribeKey to decide."""
        if self._aws_aliases is None:
            try:
                self._aws_aliases = {
                    str(alias["TargetKeyId"]): str(alias["AliasName"])
                    for alias in paginate(self._kms, "list_aliases", "Aliases")
                    if str(alias.get("AliasName", "")).startswith(AWS_MANAGED_ALIAS_PREFIX) and alias.get("TargetKeyId")
                }
            except (ClientError, BotoCoreError):
                self._aws_aliases = {}
        return self._aws_aliases

    def verdict(self, reference: str) -> KeyVerdict:
        if reference not in self._verdicts:
            self._verdicts[reference] = self._resolve(reference)
        return self._verdicts[reference]

    def _resolve(self, reference: str) -> KeyVerdict:
        alias = alias_name(reference)
        if alias is not None and alias.startswith(AWS_MANAGED_ALIAS_PREFIX):
            return KeyVerdict("AWS", f"the AWS managed key {alias}")
        named = self._aliases().get(key_id(reference)) if alias is None else None
        if named is not None:
            return KeyVerdict("AWS", f"the AWS managed key {named}")
        try:
            metadata = self._kms.describe_key(KeyId=reference).get("KeyMetadata")
        except (ClientError, BotoCoreError) as exc:
            return KeyVerdict("UNKNOWN", f"key {reference}", f"DescribeKey answered {error_code(exc)}")
        manager = metadata.get("KeyManager") if isinstance(metadata, Mapping) else None
        if manager == "CUSTOMER":
            return KeyVerdict("CUSTOMER", f"key {reference}")
        if manager == "AWS":
            resolved = str(metadata.get("KeyId") or key_id(reference)) if isinstance(metadata, Mapping) else reference
            name = self._aliases().get(resolved)
            return KeyVerdict("AWS", f"the AWS managed key {name}" if name else f"the AWS managed key {reference}")
        return KeyVerdict("UNKNOWN", f"key {reference}", f"DescribeKey gave no usable KeyManager ({manager!r})")


def managed_key_findings(
    access: AccountAccess, partition: str, plans: Iterable[ParsedPlan], region: str
) -> list[Finding]:
    """Resources a plan copies to another account but that use an AWS managed key: AWS refuses the copy."""
    account_id = access.account_id
    copies = cross_account_copies(plans, account_id, region)
    if not copies:
        return []
    keys = KeyResolver(access.client("kms", region))
    out = []
    for resource in encrypted_resources(access, region, partition):
        copying = [
            (plan.name, destinations)
            for plan, destinations in copies
            if any(policy_selection_selects(s, resource.arn, resource.tags) for s in plan.selections)
        ]
        if not copying:
            continue
        verdict = keys.verdict(resource.key)
        if verdict.manager == "CUSTOMER":
            continue
        names = ", ".join(name for name, _ in copying)
        targets = ", ".join(sorted({arn for _, destinations in copying for arn in destinations}))
        if verdict.manager == "AWS":
            message = (
                f"{resource.what} encrypted with {verdict.name}; plan(s) {names} copy it to {targets}, and AWS "
                "refuses cross-account copies of backups under AWS managed keys"
            )
        else:
            message = (
                f"{resource.what} encrypted with {verdict.name}, which verify could not classify "
                f"({verdict.why}); plan(s) {names} copy it to {targets}: if it is an AWS managed key the copy fails"
            )
        out.append(
            Finding.observed(
                rule="aws-managed-key",
                message=message,
                remediation="re-encrypt it with a customer managed key whose policy admits the destination account "
                "(copy a snapshot with that key and restore it), or keep it out of the plan's selection"
                if verdict.manager == "AWS"
                else "give the role kms:DescribeKey on the key and run again",
                account=account_id,
                region=region,
                resource=resource.arn,
                severity="error" if verdict.manager == "AWS" else "warning",
            )
        )
    return out

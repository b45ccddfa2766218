"""verify's check families, one module each (as Prowler keeps one check per unit).

base: what the families share (Target, Coverage, REDEPLOY); vaults (with keys, locks and the access policy);
roles (the backup role); policies (the effective backup policy); jobs (failed backup and copy jobs);
managed_keys (copies refused for AWS managed keys); copy_paths (what the central vaults admit); guardrail (the
guardrail SCP and the roles it exempts). ``org_backup.ops.verify`` runs them over every account and Region.
"""

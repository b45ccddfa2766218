"""org-backup: the one command (``org-backup <subcommand>``) in front of the offline preview and the operations."""

"""The preview's "Who can destroy backups" section shows what the review asked for: open destructive cells, copies
that would fail (F9), weakening access, and answers that depend on roles the stack does not hold (F8)."""

from __future__ import annotations

from org_backup.preview.access_report import json_section, markdown_section, summary, text_section
from policies.access import analyse
from tests.policies.access.test_matrix_gaps import BACKUP_ROLE, central_stack, key_policy


def test_every_format_shows_broken_copies_and_open_cells():
    matrix = analyse(central_stack(key=key_policy(via="backup.amazonaws.com")))
    head = summary(matrix)
    assert "can destroy or weaken backups" in head and "1 backup-role copies into central vaults would fail" in head
    text = "\n".join(text_section(matrix))
    assert f"BROKEN  333333333333 us-west-2: key of vault org-backup-central: backup role {BACKUP_ROLE} of" in text
    assert (
        f"OPEN  333333333333 us-west-2: vault org-backup-central: other organization account as {BACKUP_ROLE}" in text
    )
    markdown = "\n".join(markdown_section(matrix))
    assert "- BROKEN" in markdown and "**open**" in markdown
    document = json_section(matrix)
    assert [c["principal"] for c in document["broken_liveness"]] == [f"backup role {BACKUP_ROLE} of 444444444401"]
    assert all(c["destructive"] for c in document["open_to_attackers"])


def test_a_healthy_copy_path_shows_no_broken_line():
    matrix = analyse(central_stack(vault=None))
    assert matrix.broken() == []
    assert not any(line.strip().startswith("BROKEN") for line in text_section(matrix))

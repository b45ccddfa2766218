"""The one table renderer: alignment and escaping decided once for every command and report."""

from __future__ import annotations

from org_backup.tables import markdown_table, text_table


def test_text_tables_pad_all_but_the_last_column_or_right_align_numbers() -> None:
    assert text_table(("A", "BB", "C"), [("xyz", "1", "long text")]) == "A    BB  C\nxyz  1   long text"
    assert text_table(("n", "wall_s"), [(5, 0.25)], align="right") == "n  wall_s\n5    0.25"


def test_markdown_cells_cannot_break_the_table_or_inject_markup() -> None:
    [header, rule, row] = markdown_table(["a", "b"], [["x|y\nz", "<img src=x>*bold*"]])
    assert header == "| a | b |" and rule == "|---|---|"
    assert row == "| x\\|y z | &lt;img src=x&gt;\\*bold\\* |"
    assert markdown_table(["r"], [["`rule` <plan>"]], escape_html=False)[2] == "| `rule` <plan> |"

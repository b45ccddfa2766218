"""The one table renderer of the project: plain-text tables for terminals, Markdown tables for reports and docs.

Every command and report draws its tables here, so alignment and escaping are decided once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

Align = Literal["left", "right"]


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, align: Align = "left") -> str:
    """Columns two spaces apart. Left-aligned tables leave the last column unpadded, so a long explanation
    there stays readable; right-aligned ones (numbers) pad every column."""
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    last = len(headers) - 1
    lines = []
    for row in cells:
        if align == "right":
            lines.append("  ".join(c.rjust(widths[i]) for i, c in enumerate(row)))
        else:
            lines.append("  ".join(c if i == last else c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
    return "\n".join(lines)


def markdown_cell(value: object, *, escape_html: bool = True) -> str:
    """A cell may hold no pipe or newline; report cells carry values read from AWS or a stack file, so their
    emphasis markers and HTML are escaped too (a vault name is not markup)."""
    text = str(value).replace("\n", " ").replace("|", "\\|")
    if escape_html:
        text = text.replace("*", "\\*").replace("<", "&lt;").replace(">", "&gt;")
    return text


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, escape_html: bool = True) -> list[str]:
    """GitHub-flavoured Markdown table lines. ``escape_html=False`` for text written in this repository that
    uses Markdown on purpose (the README's rules table)."""
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(markdown_cell(c, escape_html=escape_html) for c in row) + " |" for row in rows]
    return out

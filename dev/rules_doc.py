"""Print the README's table of policy-pack rules from the rules' own metadata (``python -m dev.rules_doc``).

The README section between the two markers is this command's output; a test keeps them equal, so the
documentation cannot drift from the pack.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy

from org_backup.preview.policy_eval import load_pack
from org_backup.tables import markdown_table

BEGIN = "<!-- rules-table:begin -->"
END = "<!-- rules-table:end -->"


def _first_sentence(text: str) -> str:
    return " ".join(text.split()).split(". ")[0].rstrip(".") + "."


def rules_table() -> str:
    rows = []
    for policy in load_pack():
        rule = policy.rule  # type: ignore[attr-defined]
        kind = "resource" if isinstance(policy, ResourceValidationPolicy) else "stack"
        level = rule.enforcement.value
        rows.append(
            [rule.domain, f"`{rule.name}`", kind, level, rule.severity.value, _first_sentence(rule.description)]
        )
    headers = ["domain", "rule", "kind", "level", "severity", "what it checks"]
    return "\n".join([BEGIN, *markdown_table(headers, rows, escape_html=False), END])


def main() -> None:
    print(rules_table())


if __name__ == "__main__":
    main()

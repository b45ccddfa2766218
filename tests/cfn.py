"""CloudFormation helpers for tests: one cfn-lint runner for every template, and a template rendered for an
account and Region the way CloudFormation resolves ``Fn::Sub`` on pseudo parameters."""

from __future__ import annotations

from functools import cache
from typing import Any

from cfnlint.config import ConfigMixIn
from cfnlint.decode import decode_str
from cfnlint.runner import Runner

LINT_REGIONS = ("us-east-1", "eu-west-1", "eu-central-1")


@cache
def _runner() -> Runner:
    """Building a runner loads every rule (~0.5 s); validating with it costs ~25 ms a template."""
    return Runner(ConfigMixIn(regions=list(LINT_REGIONS)))


def lint_errors(body: str) -> list[str]:
    """cfn-lint errors (not warnings) of a template body, as ``rule: message`` lines."""
    template, problems = decode_str(body)
    if problems:
        return [f"{m.rule.id}: {m.message}" for m in problems]
    return [f"{m.rule.id}: {m.message}" for m in _runner().validate_template(template) if m.rule.id.startswith("E")]


def lint_informational(body: str, rule_id: str) -> list[str]:
    """The matches of one informational (``I``) rule, which the default runner leaves out, as ``path: message``."""
    template, problems = decode_str(body)
    assert not problems, problems
    runner = Runner(ConfigMixIn(regions=list(LINT_REGIONS), include_checks=["I"], mandatory_checks=[rule_id]))
    return [
        f"{'/'.join(map(str, m.path))}: {m.message}" for m in runner.validate_template(template) if m.rule.id == rule_id
    ]


def rendered(value: Any, account: str, region: str, partition: str = "aws") -> Any:
    """``value`` with every ``Fn::Sub`` over ``AWS::AccountId``/``AWS::Region``/``AWS::Partition`` replaced by its
    result."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"].replace("${AWS::AccountId}", account).replace("${AWS::Region}", region)
            return text.replace("${AWS::Partition}", partition).replace("${!", "${")
        return {k: rendered(v, account, region, partition) for k, v in value.items()}
    if isinstance(value, list):
        return [rendered(v, account, region, partition) for v in value]
    return value

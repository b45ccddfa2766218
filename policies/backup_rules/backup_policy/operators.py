"""The inheritance operators of Organizations management policies (``@@assign`` ...): one home for them.

AWS: https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html
"""

from __future__ import annotations

AWS_OPERATORS = "https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html"

OPERATOR_PREFIX = "@@"
"""Every operator key starts with it; a key without it is a setting or a block."""
ASSIGN = "@@assign"
APPEND = "@@append"
REMOVE = "@@remove"
VALUE_OPERATORS = (ASSIGN, APPEND, REMOVE)
CHILD_OPERATORS = "@@operators_allowed_for_child_policies"
ALL = "@@all"
NONE = "@@none"
"""As the only value of ``@@operators_allowed_for_child_policies``: child policies may change nothing."""
CHILD_OPERATOR_VALUES = frozenset({ALL, NONE, *VALUE_OPERATORS})

"""The inheritance operators of Organizations management policies (``@@assign`` ...): one home for them.

AWS: https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html
"""

from __future__ import annotations

ASSIGN = "@@assign"


APPEND = "@@append"


REMOVE = "@@remove"


CHILD_OPERATORS = "@@operators_allowed_for_child_policies"


VALUE_OPERATORS = (ASSIGN, APPEND, REMOVE)


CHILD_OPERATOR_VALUES = frozenset({"@@all", "@@none", ASSIGN, APPEND, REMOVE})


AWS_OPERATORS = "https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html"

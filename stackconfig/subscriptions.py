"""Alert subscriptions, judged per protocol as SNS documents the endpoint of each.

https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html ("Endpoints vary by protocol"): http and https
take a URL of that scheme, email and email-json an email address, sms a phone number (E.164,
https://docs.aws.amazon.com/sns/latest/dg/sms_sending-overview.html), sqs the ARN of a queue, lambda the ARN
of a function, application the EndpointArn of a mobile app and device, firehose the ARN of a delivery
stream, which also needs a subscription role
(https://docs.aws.amazon.com/sns/latest/dg/firehose-endpoints-subscribe.html) that this stack does not set.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from policies.backup_rules.findings import Finding, join

from .model import Alerting
from .regions import partition_regions

# RFC 5321 caps an address at 254 characters; AWS is silent on its own parser, so only the shape is checked.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+\Z")
# E.164: a plus sign, a country code that does not start with 0, at most 15 digits in all.
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}\Z")
_ARNS: dict[str, tuple[str, str, re.Pattern[str]]] = {
    "sqs": ("sqs", "an SQS queue", re.compile(r"^[A-Za-z0-9_-]{1,80}(\.fifo)?\Z")),
    "lambda": ("lambda", "a Lambda function", re.compile(r"^function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?\Z")),
    "application": ("sns", "a mobile platform endpoint", re.compile(r"^endpoint/[A-Za-z0-9_]+/[^/\s]+/[^/\s]+\Z")),
    "firehose": ("firehose", "a Firehose delivery stream", re.compile(r"^deliverystream/[A-Za-z0-9_.-]{1,64}\Z")),
}
_ARN_EXAMPLES = {
    "sqs": "arn:{p}:sqs:us-east-1:123456789012:alerts",
    "lambda": "arn:{p}:lambda:us-east-1:123456789012:function:notify",
    "application": "arn:{p}:sns:us-east-1:123456789012:endpoint/APNS/app/0a1b2c3d",
    "firehose": "arn:{p}:firehose:us-east-1:123456789012:deliverystream/alerts",
}


def check_subscriptions(alerting: Alerting, partition: str = "aws") -> list[Finding]:
    out: list[Finding] = []
    for i, sub in enumerate(alerting.subscriptions):
        problem = endpoint_problem(sub.protocol, sub.endpoint.strip(), partition)
        if sub.endpoint != sub.endpoint.strip():
            problem = problem or "has spaces around it: SNS takes the endpoint as written"
        if problem:
            path = join("alerting.subscriptions", i, "endpoint")
            out.append(Finding(path, sub.endpoint, "alert-endpoint", f"a {sub.protocol} subscription {problem}"))
    return out


def endpoint_problem(protocol: str, endpoint: str, partition: str) -> str | None:
    """Why SNS would refuse (or never deliver to) ``endpoint`` for ``protocol``, or None."""
    if protocol in ("email", "email-json"):
        if len(endpoint) > 254 or not _EMAIL.match(endpoint):
            return f"needs an email address (name@example.com), got {endpoint!r}"
        return None
    if protocol in ("http", "https"):
        parts = urlsplit(endpoint)
        if parts.scheme != protocol or not parts.hostname or any(c.isspace() for c in endpoint):
            return f"needs a URL beginning with {protocol}://, got {endpoint!r}"
        return None
    if protocol == "sms":
        if not _E164.match(endpoint):
            return f"needs a phone number in E.164 form (+ and country code, e.g. +14155550100), got {endpoint!r}"
        return None
    service, what, resource = _ARNS[protocol]
    fields = endpoint.split(":", 5)
    example = _ARN_EXAMPLES[protocol].format(p=partition)
    if (
        len(fields) != 6
        or fields[0] != "arn"
        or fields[2] != service
        or not re.fullmatch(r"[0-9]{12}", fields[4])
        or not resource.match(fields[5])
    ):
        return f"needs the ARN of {what} ({example}), got {endpoint!r}"
    if fields[1] != partition:
        return f"names partition {fields[1]}, but the organization is in {partition}: SNS cannot deliver across"
    if fields[3] not in partition_regions().get(partition, frozenset()):
        return f"names Region {fields[3]!r}, which is not an AWS Region of partition {partition}"
    if protocol == "firehose":
        return (
            "needs a subscription role (SubscriptionRoleArn) that lets SNS write to the stream, and this stack "
            "creates none: subscribe the stream outside the stack, or use sqs or lambda"
        )
    return None

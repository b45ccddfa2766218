"""Placeholder: rules of this domain are being written."""

from pulumi_policy import Policy

POLICIES: list[Policy] = []

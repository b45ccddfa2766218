"""Many dynamic resources in one process: pulumi's serialize_provider must not wrap the pickler without end.

pulumi 3.272's ``serialize_provider`` re-wraps ``batch_setitems()`` on every call and never
restores it; ``components.by_value.undo_pickler_patch`` (called by each of our dynamic resources) peels the
wrappers off so that a thousand approval-team associations do not end in ``RecursionError``.
"""

from __future__ import annotations

import pickle
import sys
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components.by_value import undo_pickler_patch
from components.mpa_association import MpaAssociationProvider

METHOD = "_batch_setitems"


def batch_setitems() -> Any:
    return getattr(pickle._Pickler, METHOD)


CALLS = sys.getrecursionlimit() + 200


@pytest.fixture(autouse=True)
def restore_pickler():
    original = batch_setitems()
    undo_pickler_patch()
    yield
    setattr(pickle._Pickler, METHOD, original)


def test_without_the_undo_the_sdk_wraps_the_pickler_once_per_call() -> None:
    serialize_provider(MpaAssociationProvider())
    once = batch_setitems()
    serialize_provider(MpaAssociationProvider())
    assert batch_setitems() is not once
    assert once.__module__ != "pickle"


def test_more_providers_than_the_recursion_limit_serialize_when_each_is_preceded_by_the_undo() -> None:
    first = serialize_provider(MpaAssociationProvider())
    for _ in range(CALLS):
        undo_pickler_patch()
        assert serialize_provider(MpaAssociationProvider()) == first
    undo_pickler_patch()
    assert batch_setitems().__module__ == "pickle"


def test_the_undo_leaves_an_unpatched_pickler_alone() -> None:
    before = batch_setitems()
    undo_pickler_patch()
    assert batch_setitems() is before

"""Make a dynamic provider's module travel inside the Pulumi state instead of being imported by name.

``pulumi.dynamic`` stores the provider in the state as ``dill.dumps(provider, recurse=True)``
(``pulumi/dynamic/dynamic.py``, ``serialize_provider``) and the provider host process loads it with
``dill.loads`` before every create, read, diff, update and delete. dill saves a class or function *by
reference* (``module`` + ``qualname``, re-imported on load) when ``getattr(import_module(obj.__module__),
obj.__qualname__) is obj`` (``dill._dill._locate_function``); otherwise it saves it *by value* (code, closure,
the globals it uses). By reference, a provider defined in ``components.policy_type`` cannot be loaded by a
host that does not have the repository on ``sys.path`` (Automation API, another working directory) or after
the module is moved or renamed, and then a protected resource can never be refreshed, updated or deleted.

``pickle_by_value`` renames the ``__qualname__`` of every function and class a module defines (methods
included) so that the lookup above fails and dill saves them by value. Everything they use must therefore be
importable anywhere (the standard library, boto3, pulumi) or be defined in a module that calls this too.

It also rewrites each code object's file name to the module's path relative to the repository
(``components/policy_type.py``): the pickle then does not depend on where the repository is checked out, so
the same code gives the same ``__provider`` string on every machine.
"""

from __future__ import annotations

import inspect
import pickle
from collections.abc import MutableMapping
from types import CodeType
from typing import Any

__all__ = ["BY_VALUE_PREFIX", "pickle_by_value", "undo_pickler_patch"]

BY_VALUE_PREFIX = "<by-value>"
_BATCH_SETITEMS = "_batch_setitems"


def pickle_by_value(namespace: MutableMapping[str, Any]) -> None:
    """Mark every function and class defined in the module whose ``globals()`` is ``namespace``.

    Call it once, as the module's last statement. Objects imported from elsewhere are left alone.
    """
    module = namespace["__name__"]
    package = str(namespace.get("__file__", "")).endswith("__init__.py")
    filename = module.replace(".", "/") + ("/__init__.py" if package else ".py")
    seen: set[int] = set()
    for value in list(namespace.values()):
        _mark(value, module, filename, seen)


def _mark(value: Any, module: str, filename: str, seen: set[int]) -> None:
    if id(value) in seen or getattr(value, "__module__", None) != module:
        return
    seen.add(id(value))
    if inspect.isfunction(value):
        _rename(value)
        value.__code__ = _relocate(value.__code__, filename)
    elif inspect.isclass(value):
        _rename(value)
        for member in vars(value).values():
            target = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            if isinstance(target, property):
                for accessor in (target.fget, target.fset, target.fdel):
                    _mark(accessor, module, filename, seen)
            else:
                _mark(target, module, filename, seen)


def _relocate(code: CodeType, filename: str) -> CodeType:
    """``code`` and the code of its nested functions and comprehensions, with ``co_filename`` = filename."""
    consts = tuple(_relocate(c, filename) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _rename(value: Any) -> None:
    if not value.__qualname__.startswith(BY_VALUE_PREFIX):
        value.__qualname__ = f"{BY_VALUE_PREFIX}.{value.__qualname__}"


def undo_pickler_patch() -> None:
    """Undo what the previous ``serialize_provider`` call left on ``pickle._Pickler``; call it before each one.

    ``serialize_provider`` (pulumi 3.272, ``pulumi/dynamic/dynamic.py``) wraps ``pickle._Pickler._batch_setitems``
    to sort dictionaries and never restores it, so every dynamic resource wraps the previous wrapper. After
    about a thousand of them in one process (one approval-team association per air-gapped vault of a large
    organization, or a long test session) pickling raises ``RecursionError`` and the program stops. Peeling
    the wrappers off keeps the chain one deep; the result of the pickling is the same.
    """
    method = getattr(pickle._Pickler, _BATCH_SETITEMS)
    while getattr(method, "__module__", None) != pickle.__name__ and getattr(method, "__closure__", None):
        inner = [c.cell_contents for c in method.__closure__ if callable(c.cell_contents)]
        if len(inner) != 1:
            return
        method = inner[0]
    if getattr(method, "__module__", None) == pickle.__name__:
        setattr(pickle._Pickler, _BATCH_SETITEMS, method)

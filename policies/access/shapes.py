"""Whole targets reused: a member account's vault, key or event rule gets the cells of the first target of the same
shape, with that target's account and Region in its statement labels spelt as its own.

``canonical`` makes the Z3 work constant in the number of accounts; what it leaves is Python work per target
(each principal class, request and cell built, renamed and looked up: about 2 s per 100 accounts). Here a target
is renamed as a whole, its account and Region to the tokens of ``canonical``: its ARN, resource policy and tags,
its account's SCPs and OU path, and the roles the stack makes in that account. Two targets equal in that form ask
the same questions of the same documents up to those names; where no document and no string either of them (or
every target) brings can tell a name from its token (``canonical.renamable``, the conditions that make
``canonical``'s own renaming sound), AWS gives them the same answers up to those names. The key is everything the
cells of a target are computed from (``_target_cells`` reads the target, the account's SCPs, path and roles, and
what is the same for every target of one analysis), so nothing outside it can differ.

Not reused (analysed as before): central targets (their principal classes are the source accounts), targets in
the management or delegated administrator accounts (their principal classes differ), StackSet templates, targets
whose names some string can tell from a token, and every target of a shape whose first cells carry the account or
Region anywhere but in a statement label (a role name holding the account id: the order of the principal classes
could then differ).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Generic, NamedTuple, Protocol, TypeVar

from .canonical import (
    ACCOUNT_TOKEN,
    REGION_TOKEN,
    Rename,
    joined,
    renamable,
    renamable_by_form,
    renamed,
    renamed_document,
)
from .stack import Target

Roles = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
"""The roles the stack makes in one account: (name, tags), sorted."""


class CellLike(Protocol):
    @property
    def target(self) -> str: ...
    @property
    def target_arn(self) -> str: ...
    @property
    def principal(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def decided_by(self) -> tuple[str, ...]: ...


C = TypeVar("C", bound=CellLike)
Kept = tuple[tuple[C, tuple[str, ...] | None], ...]
"""A shape's cells, each with its statement labels as tokens where they name the account or Region."""


class Shape(NamedTuple):
    key: tuple[object, ...]
    """Everything the target's cells are computed from, the renamed names as tokens."""
    renames: tuple[Rename, ...]
    """The names renamed (the account, the Region or both): what the key leaves out, and what the labels of the
    cells spell as tokens."""


@lru_cache(maxsize=65536)
def _renames(account: str, region: str) -> tuple[Rename, Rename]:
    return (Rename(account, ACCOUNT_TOKEN), Rename(region, REGION_TOKEN, region=True))


@lru_cache(maxsize=65536)
def _back(renames: tuple[Rename, ...]) -> tuple[Rename, ...]:
    return tuple(Rename(r.new, r.old, r.region) for r in renames)


def labels_for(labels: tuple[str, ...], renames: tuple[Rename, ...]) -> tuple[str, ...]:
    """Kept statement labels (with tokens) spelt with the names of ``renames``."""
    back = _back(renames)
    return tuple(renamed(label, back) for label in labels)


class Shapes(Generic[C]):
    """The kept cells of each shape, for one analysis (what every target of it shares is not in the key)."""

    def __init__(self, excluded: Iterable[str], shared_documents: Iterable[str], shared_values: Iterable[str]):
        """``excluded``: accounts whose targets are never reused; ``shared_documents`` and ``shared_values``: the
        documents and strings the requests of every target bring (the other accounts' administrators, their SCPs
        and paths, role names, the organization), which must not tell the names apart either."""
        self._excluded = frozenset(excluded)
        self._documents = tuple(shared_documents)
        self._values = joined(shared_values)
        self._shared = joined((*self._documents, self._values))
        self._shared_lower = self._shared.lower()
        self._kept: dict[tuple[object, ...], Kept[C] | None] = {}

    def shape(
        self,
        target: Target,
        scps: tuple[str, ...] | None,
        path: str | None,
        roles: Roles,
        backup_roles: tuple[str, ...],
    ) -> Shape | None:
        """The target's shape: everything its cells are computed from (the target; its account's SCPs, OU path,
        roles and the backup roles among them) with its account and Region renamed to tokens where no string can
        tell them apart (a name that is not renamed, or that what every target shares names, is part of the key as
        it is); None where neither is renamed or the target is not reused."""
        if target.role == "central" or target.stack_set is not None or target.account in self._excluded:
            return None
        own = (*(scps or ()), *((target.policy,) if target.policy is not None else ()))
        strings = [target.arn, path or "", *(s for pair in target.tags for s in pair), *backup_roles]
        strings += [name for name, _ in roles] + [s for _, tags in roles for pair in tags for s in pair]
        values = (joined(strings), self._values)
        candidates = _renames(target.account, target.region)
        renames = tuple(
            rename
            for rename, ok in zip(candidates, renamable_by_form(candidates, own), strict=True)
            if ok and renamable(rename, self._documents, values)
        )
        if not renames:
            return None
        kept = {r.old for r in renames}
        account, region = target.account, target.region

        def n(text: str) -> str:
            return renamed(text, renames)

        key = (
            target.kind,
            target.role,
            target.compliance_locked,
            target.air_gapped,
            n(target.arn),
            None if target.policy is None else renamed_document(target.policy, renames),
            tuple((n(k), n(v)) for k, v in target.tags),
            None if scps is None else tuple(renamed_document(text, renames) for text in scps),
            None if path is None else n(path),
            tuple((n(name), tuple((n(k), n(v)) for k, v in tags)) for name, tags in roles),
            tuple(n(name) for name in backup_roles),
            account if account not in kept or account in self._shared else None,
            region if region not in kept or region in self._shared_lower else None,
        )
        return Shape(key, renames)

    def kept(self, shape: Shape) -> Kept[C] | None:
        """The cells kept for the shape; None when none are (not seen yet, or not reused)."""
        return self._kept.get(shape.key)

    def seen(self, shape: Shape) -> bool:
        return shape.key in self._kept

    def keep(self, shape: Shape, target: Target, cells: Iterable[C]) -> None:
        """Keep the first target's cells of a shape, or mark the shape as not reused where a cell names a renamed
        name (or its token) other than in a statement label."""
        names = [s for r in shape.renames for s in (r.old, r.new)]
        kept: list[tuple[C, tuple[str, ...] | None]] = []
        for cell in cells:
            if cell.target != target.label or cell.target_arn != target.arn:
                self._kept[shape.key] = None
                return
            if any(name in cell.principal or name in cell.reason for name in names):
                self._kept[shape.key] = None
                return
            labels = tuple(renamed(label, shape.renames) for label in cell.decided_by)
            kept.append((cell, labels if labels != cell.decided_by else None))
        self._kept[shape.key] = tuple(kept)

"""Where a composed value came from: the last file in Hydra's merge order that writes it."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from trackcheck.lint.document import Document, Node

Segs = tuple[str | int, ...]
NOTHING = object()


def dotted(segs: Segs) -> str:
    out = ""
    for s in segs:
        out = f"{out}[{s}]" if isinstance(s, int) else (f"{out}.{s}" if out else str(s))
    return out


def walk(value: Any, segs: Segs = ()) -> Iterator[tuple[Segs, Any]]:
    yield segs, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, (*segs, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, (*segs, i))


def node_at(doc: Document, segs: Segs) -> tuple[Node | None, str]:
    """The node a file writes at ``segs`` (relative to its package): (node, "found"), or
    (None, "absent"), or (ancestor, "reset") when an ancestor is written as a non-mapping."""
    if not doc.roots:
        return None, "absent"
    node = doc.roots[0]
    for i, seg in enumerate(segs):
        if node.kind == "mapping":
            nxt = next((c for c in reversed(node.children) if c.name == str(seg)), None)
        elif node.kind == "list" and (isinstance(seg, int) or str(seg).isdigit()):
            idx = int(seg)
            nxt = node.children[idx] if idx < len(node.children) else None
        else:
            return (None, "absent") if i == 0 or _missing(node) else (node, "reset")
        if nxt is None:
            return None, "absent"
        node = nxt
    return node, "found"


def _missing(node: Node) -> bool:
    return node.kind == "scalar" and node.is_string and node.value.strip() == "???"


class Composed:
    """A composed config (unresolved) and the files merged into it, in Hydra's merge order."""

    def __init__(self, root: dict[str, Any], merge: list[tuple[Segs, Document]],
                 value_overrides: list[Segs]):
        self.root, self.merge, self.value_overrides = root, merge, value_overrides

    @functools.cached_property
    def nodes(self) -> list[tuple[Segs, str, Any]]:
        """Every node of the config, walked once for all the checks: key path, dotted, value."""
        return [(segs, dotted(segs), value) for segs, value in walk(self.root)]

    def lookup(self, segs: Segs) -> Any:
        cur: Any = self.root
        for s in segs:
            if isinstance(cur, dict) and str(s) in cur:
                cur = cur[str(s)]
            elif isinstance(cur, list) and str(s).isdigit() and int(s) < len(cur):
                cur = cur[int(s)]
            else:
                return NOTHING
        return cur

    def _by_override(self, segs: Segs) -> bool:
        return any(segs[: len(o)] == o for o in self.value_overrides)

    def _rel(self, pkg: Segs, segs: Segs) -> Segs | None:
        return segs[len(pkg):] if segs[: len(pkg)] == pkg else None

    def writer(self, segs: Segs) -> tuple[Document, Node] | None:
        """The file and node whose value stands at ``segs``: the last writer in merge order, a
        ``???`` giving way to an earlier value; None when an override supplied it."""
        if self._by_override(segs):
            return None
        unset = None
        for pkg, doc in reversed(self.merge):
            rel = self._rel(pkg, segs)
            if rel is None:
                continue
            node, status = node_at(doc, rel)
            if status == "found" and node is not None:
                if _missing(node) and node.kind == "scalar":
                    unset = unset or (doc, node)
                    continue
                return doc, node
            if status == "reset":
                break
        return unset

    def base(self, segs: Segs) -> tuple[Document, Node] | None:
        """The first file that writes the mapping at ``segs`` since anything last replaced it."""
        if self._by_override(segs):
            return None
        first = None
        for pkg, doc in self.merge:
            rel = self._rel(pkg, segs)
            if rel is None:
                continue
            node, status = node_at(doc, rel)
            if status == "found" and node is not None:
                if node.kind == "mapping":
                    first = first or (doc, node)
                elif not _missing(node):
                    first = None
            elif status == "reset":
                first = None
        return first


def ref_target(ref: str, at: Segs) -> Segs | None:
    """Absolute key path of a node reference (``paths.x``, ``.x``, ``..x``, ``a[0].b``) written at
    ``at``."""
    dots = len(ref) - len(ref.lstrip("."))
    body = ref[dots:]
    base: Segs = ()
    if dots:
        if dots > len(at):
            return None
        base = at[: len(at) - dots]
    segs: list[str | int] = []
    for m in re.finditer(r"\[(\d+)\]|([^.\[\]]+)", body):
        segs.append(int(m.group(1)) if m.group(1) is not None else m.group(2).strip())
    return (*base, *segs) if segs or dots else None

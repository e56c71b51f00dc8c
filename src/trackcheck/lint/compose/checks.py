"""The checks on a composed config: run tags, names, tracking-URI chains, cycles."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from trackcheck.detect.uris import credential_in_uri, uri_kind
from trackcheck.lint.compose.blame import NOTHING, Composed, Segs, dotted, ref_target
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.interpolation import analyse
from trackcheck.rule import Hit


def _blocks(c: Composed, names: Sequence[str]) -> Iterator[tuple[Segs, Any]]:
    for segs, key, value in c.nodes:
        if segs and any(key == b or key.endswith("." + b) for b in names):
            yield segs, value


def _check_tags(c: Composed, ctx: LintContext) -> Iterator[tuple[str, Document, Hit]]:
    required = ctx.policy.run_tags.required
    for segs, block in _blocks(c, ctx.policy.run_tags.blocks):
        if not isinstance(block, dict):
            continue  # ``tags: null`` is no tags; ``???`` is set at launch
        missing = [k for k in required if k not in block]
        located = c.base(segs) if missing else None
        if located:
            doc, node = located
            s = "s" if len(missing) > 1 else ""
            yield "TC121", doc, ctx.hit(doc, node, f"composed run tags '{dotted(segs)}' lack "
                                        f"required tag{s}: {', '.join(missing)}", at_key=True)


def _check_names(c: Composed, ctx: LintContext) -> Iterator[tuple[str, Document, Hit]]:
    naming = ctx.policy.naming
    checks = (
        ("TC140", "experiment_name", "experiment name", "project-level", naming.experiment_name),
        ("TC141", "run_name", "run name", "model-level", naming.run_name))
    for segs, block in _blocks(c, [ctx.policy.mlflow.group]):
        if not isinstance(block, dict):
            continue
        for code, key, what, level, allowed in checks:
            located = c.writer((*segs, key)) if allowed and key in block else None
            if not located:
                continue
            doc, node = located
            if node.kind != "scalar" or node.is_empty or node.value.strip() == "???":
                continue
            if not ctx.written_as(doc, node, allowed):
                expected = " or ".join(f"'{a}'" for a in allowed)
                yield code, doc, ctx.hit(doc, node, f"composed {what} in "
                                         f"'{dotted((*segs, key))}' is not the {level} name "
                                         f"(expected {expected})")


def _check_uri_chains(c: Composed, ctx: LintContext) -> Iterator[tuple[str, Document, Hit]]:
    """A tracking/registry URI key that is a pure reference, followed to the value it ends at."""
    for segs, _, value in c.nodes:
        if not segs or not isinstance(value, str) or isinstance(segs[-1], int) \
                or not ctx.uri_key(".".join(str(s) for s in segs)):
            continue
        hops: list[Segs] = []
        at, cur = segs, value
        while isinstance(cur, str) and analyse(cur).error is None and analyse(cur).is_pure_ref:
            t = ref_target(analyse(cur).refs[0], at)
            nxt = c.lookup(t) if t is not None and t != segs and t not in hops else NOTHING
            if nxt is NOTHING:
                break
            hops.append(t)  # type: ignore[arg-type]
            at, cur = t, nxt  # type: ignore[assignment]
        located = c.writer(at) if hops and isinstance(cur, str) else None
        if not located:
            continue
        doc, node = located
        if node.kind != "scalar" or ctx.placeholder(doc, node):
            continue
        path = " -> ".join(f"'{dotted(h)}'" for h in (segs, *hops))
        secret = credential_in_uri(node.value) is not None
        interp = doc.interpolation(node)
        if "${" in node.value and (interp.error is not None or interp.is_env_lookup):
            continue  # TC002 / TC104 own these
        if interp.refs or interp.resolvers:
            msg = f"tracking URI in {path} is built from a reference plus text in '{node.key}'"
        else:
            kind = uri_kind(node.value) or "literal"
            msg = f"literal tracking URI ({kind}) in '{node.key}', used by {path}"
        yield "TC101", doc, ctx.hit(doc, node, msg + "; read it from the environment instead",
                                    secret=secret)


def _check_cycles(c: Composed, ctx: LintContext) -> Iterator[tuple[str, Document, Hit]]:
    """Interpolations that reference each other in a ring: the config can never be resolved."""
    edges: dict[Segs, list[Segs]] = {}
    for segs, _, value in c.nodes:
        if isinstance(value, str) and "${" in value and analyse(value).error is None:
            for ref in analyse(value).refs:
                t = ref_target(ref, segs)
                if t is not None and isinstance(c.lookup(t), str | int | float | bool | type(None)):
                    edges.setdefault(segs, []).append(t)
    seen: set[Segs] = set()
    reported: set[frozenset[Segs]] = set()
    for start in edges:
        if start in seen:
            continue
        stack: list[tuple[Segs, int]] = [(start, 0)]
        path: list[Segs] = [start]
        on_path = {start}
        seen.add(start)
        while stack:
            node, i = stack[-1]
            nexts = edges.get(node, [])
            if i >= len(nexts):
                stack.pop()
                on_path.discard(path.pop())
                continue
            stack[-1] = (node, i + 1)
            nxt = nexts[i]
            if nxt in on_path:
                ring = path[path.index(nxt):]
                if frozenset(ring) not in reported:
                    reported.add(frozenset(ring))
                    yield from _cycle_hit(c, ctx, ring)
            elif nxt not in seen:
                seen.add(nxt)
                on_path.add(nxt)
                path.append(nxt)
                stack.append((nxt, 0))


def _cycle_hit(c: Composed, ctx: LintContext,
               ring: list[Segs]) -> Iterator[tuple[str, Document, Hit]]:
    located = [(loc, segs) for segs in ring if (loc := c.writer(segs))]
    if not located:
        return
    (doc, node), _ = min(located, key=lambda x: (x[0][0].path, x[0][1].line, x[0][1].column))
    shown = " -> ".join(f"'{dotted(s)}'" for s in (*ring, ring[0]))
    yield "TC002", doc, ctx.hit(doc, node, f"interpolation cycle: {shown} can never be resolved")


CHECKS = ((("TC121",), _check_tags), (("TC140", "TC141"), _check_names),
          (("TC101",), _check_uri_chains), (("TC002",), _check_cycles))

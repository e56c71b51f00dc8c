"""Run the static rules over discovered files: load, check, suppress, collect into one Report."""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from trackcheck.codes import CODES
from trackcheck.engine import Report, Selection, active_rules, judged, stamp
from trackcheck.findings import Finding
from trackcheck.lint import suppress
from trackcheck.lint.context import LintContext, deploy_shape
from trackcheck.lint.discover import CODE_KINDS, Target
from trackcheck.lint.document import Document, LoadProblem, Node, build, read_text
from trackcheck.lint.rules import RULES
from trackcheck.lint.unparsed import Unparsed
from trackcheck.policy import Policy
from trackcheck.rule import Rule

if TYPE_CHECKING:  # the compose module, and Hydra behind it, load only for --compose
    from trackcheck.lint.compose import Entry

# what generated YAML (lock files, schemas) is read for: a real token or a credential URI is a leak
# wherever it sits; key names there are package names and field names, not settings
GENERATED_RULES = frozenset({"TC001", "TC003", "TC004", "TC103", "TC110"})
_UNPARSED_RULES = frozenset({"TC103", "TC110"})  # what reads the lines of a file not parsed
# the value up to its last non-blank character: ``(?:.*\S)?`` reads a long blank run once, where
# a lazy ``.*?\s*$`` reads it again after every character (quadratic)
_ENV_LINE = re.compile(
    r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)\s*[=:]\s*(?P<value>(?:.*\S)?)\s*$"
)
_INI_LINE = re.compile(r"^\s*(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)\s*[=:]\s*(?P<value>(?:.*\S)?)\s*$")
_INI_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]")


def _flat_document(target: Target, text: str) -> Document:
    """``KEY=value`` files (.env, .databrickscfg, .netrc) as a flat document of located scalars."""
    doc = Document(path=target.rel, kind=target.kind, text=text)
    section = ""
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0] if target.kind != "netrc" else raw
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        if target.kind == "netrc":
            words = line.split()
            for j in range(len(words) - 1):
                if words[j] in ("password", "login", "account"):
                    col = raw.find(words[j + 1], raw.find(words[j]) + len(words[j])) + 1
                    doc.nodes.append(
                        Node("scalar", words[j], words[j], words[j], i, col, i, 1, words[j + 1])
                    )
            continue
        if target.kind == "ini":
            s = _INI_SECTION.match(line)
            if s:
                section = s.group("name").strip()
                continue
        m = (_INI_LINE if target.kind == "ini" else _ENV_LINE).match(line)
        if not m:
            continue
        value = m.group("value")
        col = m.start("value") + 1
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value, col = value[1:-1], col + 1
        name = m.group("key")
        key = f"{section}.{name}" if section else name
        doc.nodes.append(Node("scalar", key, key, name, i, col, i, m.start("key") + 1, value))
    return doc


def load(target: Target, policy: Policy) -> Document:
    text, problem = (
        (None, None)
        if target.kind == "secret-file"
        else read_text(target.path, policy.max_file_bytes)
    )
    if target.kind == "secret-file":
        return Document(path=target.rel, kind=target.kind)
    if problem is not None:
        doc = Document(path=target.rel, kind=target.kind, problems=[problem])
        if problem.readable:  # oversized, binary, not UTF-8: its text is read all the same
            doc.unparsed = Unparsed(target.rel, path=target.path,
                                    every_line=bool(policy.token_patterns))
        return doc
    assert text is not None
    if target.kind in ("env", "ini", "netrc"):
        return _flat_document(target, text)
    if target.kind in CODE_KINDS:  # no YAML nodes: TC170/TC171 parse the text themselves
        return Document(path=target.rel, kind=target.kind, text=text)
    root = policy.root_of(target.rel)
    doc = _build(
        target.rel,
        target.kind,
        text,
        config_root=root,
        max_depth=policy.max_depth,
        max_nodes=policy.max_nodes,
        every_line=bool(policy.token_patterns),
    )
    if doc.kind in ("hydra", "yaml") and _generated(doc):
        doc.kind, doc.package = "generated", ""
    elif doc.hydra and root in (None, ".") and _foreign_yaml(doc):
        # a whole repository as the config root: a CI workflow or manifest is still not config
        doc.kind, doc.package = "yaml", ""
    return doc


def _build(path: str, kind: str, text: str, *, every_line: bool = False,
           **kw: object) -> Document:
    """``build``, and for a file that does not parse, its text to read for secrets."""
    doc = build(path, kind, text, **kw)  # type: ignore[arg-type]
    if doc.problems and not doc.nodes:
        doc.unparsed = Unparsed(path, text=text, every_line=every_line)
        doc.broken = True
    return doc


def _generated(doc: Document) -> bool:
    """A schema, not config: an OpenAPI/AsyncAPI/Swagger document or a JSON schema, whose
    ``password: {type: string}`` describes a field and holds no value."""
    if not doc.roots or doc.roots[0].kind != "mapping":
        return False
    top = doc.roots[0]
    keys = {c.name for c in top.children}
    if keys & {"openapi", "swagger", "asyncapi", "$schema", "$defs"}:
        return True
    kind = top.child("type")
    return (kind is not None and kind.kind == "scalar" and kind.value == "object"
            and bool(keys & {"properties", "definitions", "required", "additionalProperties"}))


def _foreign_yaml(doc: Document) -> bool:
    """YAML whose shape says it is not Hydra config, wherever it lives: a CI workflow, a manifest
    or a compose file (the deploy files' shapes, ``lint.context.deploy_shape``)."""
    return deploy_shape(doc)


def _apply_suppressions(
    doc: Document,
    found: list[Finding],
    secret_file: bool,
    known: set[str],
    tc005: Rule | None,
    policy: Policy,
    not_run: set[str] | frozenset[str] | None = None,
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """Split findings into (reported, suppressed); TC005 for suppressions that do nothing."""
    sups = suppress.parse(doc.text) if doc.text else []
    if doc.kind == "python" and sups:  # real comments only, not look-alikes in string literals
        from trackcheck.lint import pysource  # Python's ast and tokenize only for a file of code

        sups = pysource.real_comments(doc.text, sups)
    elif doc.kind in ("hydra", "yaml", "generated") and sups:  # nor text inside a YAML scalar
        sups = suppress.yaml_comments(doc.text, sups)
    if not sups:
        return found, [], []
    # the first suppression in the file that covers a finding, looked up by code and line (a
    # file with a suppression on every line must not compare every finding with every one)
    first: dict[tuple[str, int | None], int] = {}
    for i, s in enumerate(sups):
        if not s.malformed:
            for code in s.codes:
                first.setdefault((code, None if s.file_wide else s.line), i)
    kept, hidden = [], []
    for f in found:
        wide, here = first.get((f.rule, None)), first.get((f.rule, f.line)) \
            if f.line is not None else None
        at = min((i for i in (wide, here) if i is not None), default=None)
        hit_by = None if at is None else sups[at]
        if hit_by is None:
            kept.append(f)
        else:
            hit_by.used.add(f.rule)
            why = "inline" + (f": {hit_by.reason}" if hit_by.reason else "")
            hidden.append(replace(f, suppressed=why))
    extra: list[Finding] = []
    if tc005 is not None:
        from trackcheck.lint.rules.tc005_unused_suppression import suppression_hits

        for h in suppression_hits(doc, sups, known, not_run or set()):
            extra.append(stamp(tc005, h, policy))
    return kept, hidden, extra


def lint(
    targets: Sequence[Target],
    policy: Policy,
    selection: Selection | None = None,
    compose: Sequence[Entry] | None = None,
) -> Report:
    """Lint ``targets`` file by file; with ``compose`` (``--compose``), also compose those Hydra
    entrypoints and check the composed configs (see ``trackcheck.lint.compose``)."""
    # A file's document is a tree without cycles (tests/lint/test_document.py), freed by
    # reference counting when the next file starts: the cyclic collector's scans of the nodes
    # being built, at its default threshold (700 allocations), find nothing and cost about 5%
    # of a 5,000-file run (benchmarks/lint_tree.py). Cycles elsewhere (Hydra's configs) are
    # still collected, less often.
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 50_000), *old[1:])
    try:
        return _lint(targets, policy, selection, compose)
    finally:
        gc.set_threshold(*old)


def _lint(
    targets: Sequence[Target],
    policy: Policy,
    selection: Selection | None,
    compose: Sequence[Entry] | None,
) -> Report:
    selection = selection or Selection()
    ctx = LintContext(policy)
    rules = active_rules(RULES, policy, selection)
    known = set(CODES)
    tc005 = next((r for r in rules if r.code == "TC005"), None)
    report = Report(engine="lint")
    n_files = 0
    deferred: list[tuple[Target, Document, list[Finding]]] = []
    for target in targets:
        n_files += 1
        doc = load(target, policy)
        doc.secret_file = target.secret_file
        found = _check(doc, rules, ctx, policy, report)
        if compose and doc.hydra:  # composed verdicts may replace or join these
            deferred.append((target, doc, found))
            continue
        _settle(report, doc, found, target.rel, target.secret_file, known, tc005, policy, rules)
    report.summary = {"files": n_files}
    if compose:
        _compose(report, compose, policy, ctx, rules, deferred, known, tc005)
    report.sort()
    return report


def _check(
    doc: Document, rules: Sequence[Rule], ctx: LintContext, policy: Policy, report: Report
) -> list[Finding]:
    found: list[Finding] = []
    if doc.unparsed is not None:  # read for secrets part by part; its digest is known after
        readers = [r for r in rules if r.code in _UNPARSED_RULES]
        seen: set[tuple[str, int | None, int | None]] = set()  # windows overlap: found twice
        for part in doc.unparsed.parts():
            for f in _check(part, readers, ctx, policy, report):
                if (f.rule, f.line, f.column) not in seen:
                    seen.add((f.rule, f.line, f.column))
                    found.append(f)
    for rule in _runnable(rules, doc.kind == "generated" or doc.broken):
        found += judged(rule, doc, ctx, policy, report)
    return found


_lists: tuple[Sequence[Rule], list[Rule], list[Rule]] | None = None


def _runnable(rules: Sequence[Rule], generated: bool) -> list[Rule]:
    """The rules that judge a document: every rule but TC005 (which judges suppressions), or for
    generated YAML and files that did not parse, those of ``GENERATED_RULES`` (sorted out once
    per run, not per rule and file)."""
    global _lists
    if _lists is None or _lists[0] is not rules:
        every = [r for r in rules if r.code != "TC005"]
        _lists = (rules, every, [r for r in every if r.code in GENERATED_RULES])
    return _lists[2] if generated else _lists[1]


def _settle(
    report: Report,
    doc: Document,
    found: list[Finding],
    rel: str,
    secret_file: bool,
    known: set[str],
    tc005: Rule | None,
    policy: Policy,
    rules: Sequence[Rule],
    not_judged: frozenset[str] = frozenset(),
) -> None:
    """Apply the file's suppressions and add what stays to the report; suppressions of
    ``not_judged`` codes are never called unused (TC005)."""
    not_run = _not_run(rules, policy, rel) | not_judged
    kept, hidden, extra = _apply_suppressions(
        doc, found, secret_file, known, tc005, policy, not_run
    )
    report.findings.extend(kept)
    report.findings.extend(f for f in extra if not policy.ignored_for_path("TC005", f.path))
    report.suppressed.extend(hidden)


_inactive: tuple[Sequence[Rule], frozenset[str]] | None = None


def _not_run(rules: Sequence[Rule], policy: Policy, rel: str) -> frozenset[str]:
    """The codes that did not judge ``rel``: not active in this run, or ignored for its path."""
    global _inactive
    if _inactive is None or _inactive[0] is not rules:  # the same list for every file of a run
        codes = {r.code for r in rules}
        _inactive = (rules, frozenset(r.code for r in RULES if r.code not in codes))
    inactive = _inactive[1]
    if not policy.per_path_ignores:
        return inactive
    return inactive | {
        r.code for r in RULES if r.code not in inactive and policy.ignored_for_path(r.code, rel)
    }


def _compose(
    report: Report,
    entries: Sequence[Entry],
    policy: Policy,
    ctx: LintContext,
    rules: Sequence[Rule],
    deferred: list[tuple[Target, Document, list[Finding]]],
    known: set[str],
    tc005: Rule | None,
) -> None:
    """Composed findings join the per-file ones of the file they point at; a completed
    composition replaces the per-file TC121/TC140/TC141 verdicts of the files it read."""
    from trackcheck.lint import compose

    docs = {os.path.realpath(t.path): d for t, d, _ in deferred}
    out = compose.run(entries, policy, ctx, rules, docs)
    report.secrets |= out.secrets
    for target, doc, found in deferred:
        mine = out.findings.pop(doc.path, [])
        covered = doc.path in out.covered
        if covered:  # which compositions run decides these: a suppression of them may idle
            found = [f for f in found if f.rule not in compose.REPLACED]
        at = {(f.rule, f.line, f.column) for f in found}
        found += [f for f in mine if (f.rule, f.line, f.column) not in at]
        _settle(
            report,
            doc,
            found,
            target.rel,
            target.secret_file,
            known,
            tc005,
            policy,
            rules,
            compose.REPLACED if covered else frozenset(),
        )
    linted = {doc.path for _, doc, _ in deferred}
    for path, doc in out.refused.items():  # why a composition was skipped, if not linted above
        if path not in linted:
            unsafe = [r for r in rules if r.code in compose.UNSAFE]
            out.findings.setdefault(path, []).extend(_check(doc, unsafe, ctx, policy, report))
    for path, mine in out.findings.items():  # files Hydra read that were not linted per file
        _settle(report, out.docs[path], mine, path, False, known, None, policy, rules)
    report.summary["compositions"] = out.composed
    if out.skipped:
        report.summary["skipped compositions"] = len(out.skipped)
        report.summary["composition notes"] = out.skipped


__all__ = ["lint", "load", "LoadProblem"]

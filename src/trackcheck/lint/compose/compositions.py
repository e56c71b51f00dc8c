"""Every composition of every entrypoint (override sets, then sweeps), checked and reported once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trackcheck.engine import stamp
from trackcheck.findings import Finding
from trackcheck.lint.compose.blame import Composed
from trackcheck.lint.compose.checks import CHECKS
from trackcheck.lint.compose.failures import dropped_hits, failure, plugin_hits, plugin_swap
from trackcheck.lint.compose.plan import Entry, describe, override_key
from trackcheck.lint.compose.session import Loads, Session
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Node
from trackcheck.policy import Policy
from trackcheck.rule import Hit, Rule

# per-file verdicts that a completed composition replaces for the files it reads
REPLACED = frozenset({"TC121", "TC140", "TC141"})
# per-file verdicts that keep a file away from Hydra: Hydra's loader would choke or hang on it
UNSAFE = ("TC001", "TC002", "TC003", "TC004")


@dataclass
class Outcome:
    """What the compositions found, by the path of the file each finding points at."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)
    docs: dict[str, Document] = field(default_factory=dict)  # every file Hydra read, by path
    covered: set[str] = field(default_factory=set)  # files of compositions that completed
    refused: dict[str, Document] = field(default_factory=dict)  # files kept away from Hydra
    composed: int = 0
    skipped: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)


def _sweep_sets(entry: Entry, base: tuple[str, ...], choices: dict[str, Any],
                session: Session) -> list[tuple[str, ...]]:
    """One override set per option of each swept group, the option already chosen excepted. A
    group is named as Hydra's choices name it (``optimizer@model.optim`` for a group placed at
    another package); a top-level group that nothing selects is added (``+experiment=foo``)."""
    chosen = [k for k in choices if k != "hydra" and not k.startswith("hydra/")]
    placed = {k.split("@")[0] for k in chosen}
    if entry.sweep is None:
        keys = chosen + sorted(g for g in session.groups if "/" not in g and g not in placed)
    else:
        keys = [k for k in chosen if k.split("@")[0] in entry.sweep or k in entry.sweep]
        keys += [g for g in entry.sweep if g not in placed and g not in keys]
    sets = []
    for key in keys:
        prior = [o for o in base if override_key(o) == key.split("@")[0]]
        kept = tuple(o for o in base if o not in prior)
        # a group the set itself appends (``+experiment=a``) is appended with each option too
        add = prior[0][: len(prior[0]) - len(prior[0].lstrip("+"))] if prior else (
            "" if key in choices else "+")
        for option in session.loader.get_group_options(key.split("@")[0]):
            if option != choices.get(key):
                sets.append((*kept, f"{add}{key}={option}"))
    return sets


def run(entries: Sequence[Entry], policy: Policy, ctx: LintContext, rules: Sequence[Rule],
        docs: dict[str, Document], cwd: Path | None = None) -> Outcome:
    """Compose every entry (each override set, then each swept option) and check the results.
    ``docs`` are the per-file documents already loaded, by real path; more are added as Hydra
    reads files."""
    cwd = cwd or Path.cwd()
    active = {r.code: r for r in rules}
    out = Outcome()
    found: dict[tuple[object, ...], tuple[Rule, Hit, list[str]]] = {}
    done: set[tuple[str, str, tuple[str, ...]]] = set()
    loads: Loads = {}  # each config file Hydra loads, parsed once per run
    for cdir in dict.fromkeys(e.config_dir for e in entries):
        group = [e for e in entries if e.config_dir == cdir]
        with Session(cdir, policy, docs, cwd, loads) as session:
            for n, entry in enumerate(group):
                queue = list(entry.override_sets)
                swept = {tuple(s) for s in queue}
                while queue:
                    overrides = queue.pop(0)
                    if (cdir, entry.config, overrides) in done:
                        continue
                    done.add((cdir, entry.config, overrides))
                    # what the session keeps for later compositions pays only if one may follow
                    session.more = bool(queue) or n < len(group) - 1 or (
                        entry.sweep != () and overrides in swept)
                    desc = describe(entry, overrides, policy)
                    hits, choices = _one(session, entry, overrides, ctx, out)
                    for code, hit in hits:
                        rule = active.get(code)
                        if rule is None or policy.ignored_for_path(code, hit.path):
                            continue
                        if hit.secret and hit.value:
                            out.secrets.add(hit.value)
                        k = (code, hit.path, hit.line, hit.column, hit.key, hit.message)
                        found.setdefault(k, (rule, hit, []))[2].append(desc)
                    if choices is not None and entry.sweep != () and overrides in swept:
                        queue.extend(_sweep_sets(entry, overrides, choices, session))
    for rule, hit, descs in found.values():
        more = f"; and {len(descs) - 1} more composition(s)" if len(descs) > 1 else ""
        h = Hit(f"{hit.message} ({descs[0]}{more})", hit.path, hit.key, hit.line, hit.column,
                hit.value, hit.secret)
        out.findings.setdefault(hit.path, []).append(stamp(rule, h, policy))
    out.docs = {d.path: d for d in docs.values()}
    return out


def _one(session: Session, entry: Entry, overrides: tuple[str, ...], ctx: LintContext,
         out: Outcome) -> tuple[list[tuple[str, Hit]], dict[str, Any] | None]:
    """Compose once and check. A composition Hydra cannot complete is a finding, never a crash:
    TC006, or TC001 when one file's defaults list is broken on its own. An option of Hydra's own
    groups that no installed plugin provides (``hydra/job_logging: colorlog``) is reported and
    Hydra's built-in option composed in its place: those groups shape only the ``hydra`` node,
    which trackcheck does not check, so the rest of the config is the entrypoint's."""
    tried = overrides
    plugins: list[tuple[Document, Node | None, str, str]] = []
    while True:
        try:
            root, choices = session.compose(entry.config, tried)
            break
        except Exception as e:  # Hydra raises many types: each is a finding, never a crash
            # one swap per plugin group Hydra has (loggings, launcher, sweeper, ...): bounded
            swap = plugin_swap(session, str(e), entry, tried) if len(plugins) < 8 else None
            if swap is not None:
                plugins.append(swap[0])
                tried = swap[1]
                continue
            hits = (plugin_hits(plugins, ctx, False) if plugins
                    else failure(session, entry, tried, e, ctx, out))
            return dropped_hits(session, ctx) + hits, None
    out.composed += 1
    merge = session.merge_list()
    out.covered.update(doc.path for _, doc in merge)
    c = Composed(root, merge, session.value_overrides(tried))
    hits = dropped_hits(session, ctx) + plugin_hits(plugins, ctx, True)
    for codes, check in CHECKS:
        if any(ctx.policy.rule_enabled(code) for code in codes):
            hits.extend((code, hit) for code, _doc, hit in check(c, ctx))
    return hits, choices

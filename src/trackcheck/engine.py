"""The engine both linters share: select/ignore, policy enable/severity, stamping, fail decision."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trackcheck.findings import Finding, LazyFingerprint, Severity
from trackcheck.policy import Policy
from trackcheck.rule import Hit, Rule

if TYPE_CHECKING:  # the registry's state is the audit's: a lint run never loads it
    from trackcheck.state import RegistryState


@dataclass
class Selection:
    """``--select``/``--ignore`` as code prefixes (``TC1`` selects TC101…TC171)."""

    select: Sequence[str] = ("TC",)
    ignore: Sequence[str] = ()

    def wants(self, code: str) -> bool:
        chosen = [p for p in self.select if code.startswith(p)]
        dropped = [p for p in self.ignore if code.startswith(p)]
        if not chosen:
            return False
        # the more specific prefix wins, as in ruff
        return not dropped or max(map(len, chosen)) > max(map(len, dropped))


@dataclass
class Report:
    """Everything one run found: reported findings, suppressed ones, what was looked at."""

    engine: str
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)  # values to scrub from every output
    # the audit's registry state, model by model (the HTML report and snapshots show it)
    registry: RegistryState | None = None

    def sort(self) -> None:
        self.findings.sort(key=Finding.sort_key)
        self.suppressed.sort(key=Finding.sort_key)

    def failing(self, fail_on: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank >= fail_on.rank]

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0}
        for f in self.findings:
            out[f.severity.value] += 1
        return out


def active_rules(rules: Iterable[Rule], policy: Policy, selection: Selection) -> list[Rule]:
    return [r for r in rules if policy.rule_enabled(r.code) and selection.wants(r.code)]


def stamp(rule: Rule, hit: Hit, policy: Policy) -> Finding:
    """The linter, not the rule, stamps code, name, configured severity and fingerprint (hashed
    when an output first reads it: text and GitHub output never do)."""
    return Finding(
        rule=rule.code,
        name=rule.name,
        severity=policy.rule_severity(rule.code, rule.severity),
        message=hit.message,
        path=hit.path,
        key=hit.key,
        line=hit.line,
        column=hit.column,
        fingerprint=LazyFingerprint(rule.code, hit.path, hit.key, hit.value),
    )


def judged(rule: Rule, subject: Any, ctx: Any, policy: Policy, report: Report) -> list[Finding]:
    """One rule's findings on a document (lint) or a registry piece (audit): every secret it
    saw is remembered for masking, and hits on paths the policy ignores for it are dropped.
    (A list, not a generator: it is called for every rule and file, and most find nothing.)"""
    found: list[Finding] = []
    for hit in rule.check(subject, ctx):
        if hit.secret and hit.value:
            report.secrets.add(hit.value)
        if not policy.ignored_for_path(rule.code, hit.path):
            found.append(stamp(rule, hit, policy))
    return found

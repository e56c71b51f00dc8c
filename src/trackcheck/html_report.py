"""``--format html``: one self-contained page (inline CSS and script, no fetch) rendered by Jinja2.

Jinja2 is imported here only, and this module only when HTML is asked for: a lint run in any
other format never loads it. Templates, the stylesheet and the script are package data under
``trackcheck/templates``. Autoescaping is on for every template: a model name, tag value or
message is always text, never markup. The page carries a Content-Security-Policy that allows
exactly its own inline style and script (by hash) and no request of any kind, so even markup
that got past escaping could neither run nor fetch.

The audit page's layout follows the question a platform team opens it with, "is anything
wrong, and where?": the verdict and the findings by rule first, then the models with findings
(most errors first), each as a lifecycle strip (which version holds each alias of the policy)
over its versions, with the findings on the version they belong to.

**Hook: alias history.** Each model card ends with an empty
``<section class="alias-history" data-hook="alias-history">``. When the guard's ledger is
reachable, pass ``alias_history`` to :func:`render_report` (model name -> list of
:class:`AliasEvent`, oldest first, names as masked as the report's) and the section shows the
model's alias moves as a timeline; until then it stays empty and hidden.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from trackcheck import __version__
from trackcheck.engine import Report
from trackcheck.findings import Finding, Severity
from trackcheck.rule import Rule
from trackcheck.state import AliasMove, ModelState, VersionState, utc_text

if TYPE_CHECKING:
    import jinja2

    from trackcheck.diff import Diff

# the rule docs `trackcheck rules --format markdown` writes; SARIF names the same project page
RULES_DOC = "https://github.com/trackcheck/trackcheck/blob/main/docs/rules.md"


def rule_url(code: str, name: str) -> str:
    """The rule's section in docs/rules.md (the anchor `rules --format markdown` links to)."""
    return f"{RULES_DOC}#{code.lower()}-{name}"


@dataclass(frozen=True)
class AliasEvent:
    """One alias move for the alias-history hook: ``old``/``new`` None when set or removed."""

    time: str
    alias: str
    old: int | None
    new: int | None
    who: str | None = None


def history_events(history: Mapping[str, Sequence[AliasMove]]) -> dict[str, list[AliasEvent]]:
    """The guard's alias moves (``RegistryState.history``) as the timeline shows them."""
    return {name: [AliasEvent(utc_text(m.time), m.alias, m.old, m.new, m.who) for m in moves]
            for name, moves in history.items()}


# --- the environment ------------------------------------------------------------------------
def _code_spans(text: str) -> Any:
    """Rule summaries as the docs write them: `x` shown as code, everything else escaped."""
    from markupsafe import Markup, escape

    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("trackcheck", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["code_spans"] = _code_spans
    return env


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str, str]:
    """(stylesheet, script, Content-Security-Policy allowing exactly those two, nothing else)."""
    env = _env()
    assert env.loader is not None
    css = env.loader.get_source(env, "report.css")[0]
    js = env.loader.get_source(env, "report.js")[0]

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    csp = (f"default-src 'none'; style-src {sha(css)}; script-src {sha(js)}; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    return css, js, csp


def _page(template: str, **context: Any) -> str:
    from markupsafe import Markup

    css, js, csp = _assets()
    # the two assets are the package's own files, inserted as they are (their hashes are the CSP)
    return _env().get_template(template).render(
        style=Markup(css), script=Markup(js), csp=csp, version=__version__, **context)


# --- views: what the templates show, precomputed so that templates stay plain ---------------
@dataclass
class FindingView:
    rule: str
    name: str
    severity: str
    message: str
    key: str
    url: str
    summary: str
    where: str  # path[:line[:col]]
    suppressed: str | None = None


@dataclass
class RuleRow:
    code: str
    name: str
    summary: str
    url: str
    errors: int = 0
    warnings: int = 0
    suppressed: int = 0


@dataclass
class VersionView:
    number: int
    aliases: list[tuple[str, str]]  # (alias, css class)
    stage: str
    status: str
    run_id: str | None
    run_status: str
    run_class: str
    debug: str
    debug_class: str
    lineage: str
    lineage_class: str
    retired: bool
    tags: Sequence[tuple[str, str]]
    description: str | None
    findings: list[FindingView]
    rules: str
    worst: str  # error | warning | suppressed | ""


@dataclass
class ModelView:
    name: str
    description: str | None
    tags: Sequence[tuple[str, str]]
    strip: list[tuple[str, str, str]]  # (alias, "v3" or "—", css class) in lifecycle order
    findings: list[FindingView]
    rows: list[VersionView]  # versions with an alias, a finding or a status that is not READY
    quiet: list[VersionView]  # the rest, folded
    rules: str
    errors: int
    warnings: int
    history: Sequence[AliasEvent] = field(default_factory=list)


def _view(f: Finding, rules: Mapping[str, Rule]) -> FindingView:
    r = rules.get(f.rule)
    where = f.path if f.line is None else f"{f.path}:{f.line}:{f.column or 1}"
    return FindingView(rule=f.rule, name=f.name, severity=f.severity.value, message=f.message,
                       key=f.key, url=rule_url(f.rule, f.name),
                       summary=r.summary if r is not None else f.name, where=where,
                       suppressed=f.suppressed)


def _shown(report: Report, show_suppressed: bool) -> list[Finding]:
    return [*report.findings, *(report.suppressed if show_suppressed else ())]


def _by_rule(findings: Iterable[Finding], rules: Mapping[str, Rule]) -> list[RuleRow]:
    rows: dict[str, RuleRow] = {}
    for f in findings:
        r = rules.get(f.rule)
        row = rows.setdefault(f.rule, RuleRow(
            f.rule, f.name, r.summary if r is not None else f.name, rule_url(f.rule, f.name)))
        if f.suppressed is not None:
            row.suppressed += 1
        elif f.severity is Severity.ERROR:
            row.errors += 1
        else:
            row.warnings += 1
    return sorted(rows.values(), key=lambda r: (-r.errors, -r.warnings, r.code))


def _verdict(report: Report, subjects: str) -> tuple[str, str]:
    c = report.counts()
    if not report.findings:
        return "ok", f"No findings in {subjects}"
    return ("error" if c["error"] else "warning",
            f"{c['error']} error(s), {c['warning']} warning(s) in {subjects}")


def _worst(findings: Sequence[FindingView]) -> str:
    kinds = {("suppressed" if f.suppressed is not None else f.severity) for f in findings}
    return next((k for k in ("error", "warning", "suppressed") if k in kinds), "")


_RUN_OK = {"FINISHED"}
_RUN_UNKNOWN = {"unread"}


def _version_view(v: VersionState, findings: list[FindingView], lifecycle: set[str],
                  retired: set[str]) -> VersionView:
    aliases = [(a, "alias retired" if a in retired else "alias" if a in lifecycle
                else "alias unknown") for a in v.aliases]
    if v.run_status in _RUN_UNKNOWN:
        run_class = "na"
    else:
        run_class = "ok" if v.run_status in _RUN_OK else "bad"
    if v.debug is None:
        debug, debug_class = "—", "na"
    else:
        debug, debug_class = ("debug", "bad") if v.debug else ("no", "ok")
    if v.lineage is None:
        lineage, lineage_class = "—", "na"
    elif v.lineage:
        lineage, lineage_class = "no " + " and no ".join(v.lineage), "bad"
    else:
        lineage, lineage_class = "complete", "ok"
    return VersionView(
        number=v.number, aliases=aliases, stage=v.stage, status=v.status, run_id=v.run_id,
        run_status=v.run_status, run_class=run_class, debug=debug, debug_class=debug_class,
        lineage=lineage, lineage_class=lineage_class, retired=v.retired, tags=v.tags,
        description=v.description, findings=findings,
        rules=" ".join(sorted({f.rule for f in findings})), worst=_worst(findings))


def _model_view(m: ModelState, by_path: dict[str, list[FindingView]], lifecycle: Sequence[str],
                retired: set[str], history: Sequence[AliasEvent]) -> ModelView:
    known = set(lifecycle)
    rows, quiet = [], []
    worst: dict[int, str] = {}
    for v in reversed(m.versions):  # newest first
        view = _version_view(v, by_path.pop(f"{m.uri}/{v.number}", []), known, retired)
        worst[v.number] = view.worst
        (rows if view.aliases or view.findings or view.status != "READY" else quiet).append(view)
    held = dict(m.aliases)
    strip = []
    for alias in [*lifecycle, *sorted(a for a in held if a not in known)]:
        n = held.get(alias)
        if n is None:
            strip.append((alias, "—", "empty"))
        else:
            cls = worst.get(n) or ("ok" if alias in known else "warning")
            strip.append((alias, f"v{n}", cls if alias in known else f"{cls} unknown"))
    own = by_path.pop(m.uri, [])
    every = own + [f for r in rows for f in r.findings]
    return ModelView(
        name=m.name, description=m.description, tags=m.tags, strip=strip, findings=own,
        rows=rows, quiet=quiet, rules=" ".join(sorted({f.rule for f in every})),
        errors=sum(f.severity == "error" and f.suppressed is None for f in every),
        warnings=sum(f.severity == "warning" and f.suppressed is None for f in every),
        history=history)


def render_report(report: Report, rules: Mapping[str, Rule], show_suppressed: bool = False,
                  alias_history: Mapping[str, Sequence[AliasEvent]] | None = None) -> str:
    """The page for a (scrubbed) report: the registry's models for an audit, files for lint."""
    shown = _shown(report, show_suppressed)
    by_rule = _by_rule(shown, rules)
    summary = report.summary
    if report.registry is None:
        return _lint_page(report, shown, by_rule, rules)
    state = report.registry
    by_path: dict[str, list[FindingView]] = defaultdict(list)
    for f in shown:
        by_path[f.path].append(_view(f, rules))
    history = alias_history or {}
    models = [_model_view(m, by_path, state.lifecycle, set(state.retired),
                          history.get(m.name, ())) for m in state.models]
    models.sort(key=lambda m: (-m.errors, -m.warnings, not m.rules, m.name))
    others = [f for fs in by_path.values() for f in fs]  # committed references (TC210), ...
    n_versions = sum(len(m.versions) for m in state.models)
    n_aliases = sum(len(m.aliases) for m in state.models)
    with_findings = sum(1 for m in models if m.rules)
    verdict = _verdict(report, f"{with_findings} of {len(models)} model(s)"
                       if report.findings else f"{len(models)} model(s)")
    counts = [("models", len(models)), ("versions", n_versions), ("aliases", n_aliases)]
    counts += [(k, v) for k, v in summary.items()
               if k in ("runs", "requests", "references") and isinstance(v, int)]
    return _page(
        "audit.html.j2", title="trackcheck registry audit",
        registry=str(summary.get("registry") or state.registry), verdict=verdict, counts=counts,
        by_rule=by_rule, lifecycle=state.lifecycle, models=models, others=others,
        suppressed=len(report.suppressed), show_suppressed=show_suppressed,
        rule_codes=[r.code for r in sorted(by_rule, key=lambda r: r.code)])


@dataclass
class FileView:
    path: str
    findings: list[FindingView]
    rules: str
    errors: int
    warnings: int


def _lint_page(report: Report, shown: list[Finding], by_rule: list[RuleRow],
               rules: Mapping[str, Rule]) -> str:
    files: dict[str, list[FindingView]] = defaultdict(list)
    for f in sorted(shown, key=Finding.sort_key):
        files[f.path].append(_view(f, rules))
    cards = []
    for path, fs in files.items():
        sev = Counter(f.severity for f in fs if f.suppressed is None)
        cards.append(FileView(path, fs, " ".join(sorted({f.rule for f in fs})), sev["error"],
                              sev["warning"]))
    cards.sort(key=lambda c: (-c.errors, -c.warnings, c.path))
    counts = [(k, v) for k, v in report.summary.items() if isinstance(v, int)]
    return _page(
        "lint.html.j2", title="trackcheck lint", verdict=_verdict(report, _subjects(report)),
        counts=counts, by_rule=by_rule, files=cards, suppressed=len(report.suppressed),
        show_suppressed=bool(shown) and len(shown) > len(report.findings),
        rule_codes=[r.code for r in sorted(by_rule, key=lambda r: r.code)])


def _subjects(report: Report) -> str:
    what = ", ".join(f"{v} {k}" for k, v in report.summary.items()
                     if isinstance(v, int) and k != "suppressed")
    return what or "nothing"


def render_diff(diff: Diff) -> str:
    """The page for ``trackcheck diff --format html``."""
    return _page("diff.html.j2", title="trackcheck registry diff", d=diff,
                 url=rule_url, counts=diff.counts())

"""Reporters looked up by name: text, json, sarif, github, junit, html; each returns all output."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from trackcheck import __version__
from trackcheck.engine import Report
from trackcheck.findings import Finding, Severity
from trackcheck.rule import Rule

Reporter = Callable[[Report, Mapping[str, Rule], bool], str]

# The reporters that print rule documentation (SARIF's help, the HTML page's rule summaries):
# the others are given no rules, so a run imports no rule module it did not run. Each reporter
# imports what only it needs (json, XML, Jinja2).
NEEDS_RULES = frozenset({"sarif", "html"})
# The reporters that show the audit's registry state (the others are given none: masking the
# state of 10^5 versions for a text report would be wasted work).
NEEDS_STATE = frozenset({"html"})


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _one_line(s: str) -> str:
    """Line breaks and control characters escaped: a crafted key must not forge a finding line."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], s)


def _loc(f: Finding) -> str:
    if f.line is None:
        return _one_line(f.path)
    return f"{_one_line(f.path)}:{f.line}:{f.column or 1}"


def _summary_line(report: Report) -> str:
    c = report.counts()
    s = report.summary
    what = ", ".join(f"{v} {k}" for k, v in s.items() if isinstance(v, int) and k != "suppressed")
    hidden = f", {len(report.suppressed)} suppressed" if report.suppressed else ""
    where = f" at {s['registry']}" if isinstance(s.get("registry"), str) else ""  # masked URI
    return f"{c['error']} error(s), {c['warning']} warning(s){hidden} in {what or 'nothing'}{where}"


def text(report: Report, rules: Mapping[str, Rule], show_suppressed: bool = False) -> str:
    lines = [f"{_loc(f)}: {f.rule} {_one_line(f.message)} [{f.severity.value}]"
             for f in report.findings]
    if show_suppressed:
        for f in report.suppressed:
            why = _one_line(f.suppressed or "")
            lines.append(f"{_loc(f)}: {f.rule} {_one_line(f.message)} [suppressed: {why}]")
    lines.append(_summary_line(report))
    return "\n".join(lines) + "\n"


def json_(report: Report, rules: Mapping[str, Rule], show_suppressed: bool = False) -> str:
    import json

    doc: dict[str, object] = {
        "version": 1,
        "tool": {"name": "trackcheck", "version": __version__},
        "engine": report.engine,
        "findings": [f.to_dict() for f in report.findings],
        "summary": {**report.summary, **report.counts(), "suppressed": len(report.suppressed)},
    }
    if show_suppressed:
        doc["suppressed"] = [f.to_dict() for f in report.suppressed]
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def sarif(report: Report, rules: Mapping[str, Rule], show_suppressed: bool = False) -> str:
    import json

    used = sorted({f.rule for f in report.findings} | ({f.rule for f in report.suppressed}))
    index = {code: i for i, code in enumerate(used)}
    sarif_rules = []
    for code in used:
        r = rules.get(code)
        entry: dict[str, object] = {"id": code}
        if r is not None:
            entry.update({
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.section("What it does") or r.summary},
                "help": {"text": r.doc.strip(), "markdown": r.doc.strip()},
                "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
            })
        sarif_rules.append(entry)

    def result(f: Finding) -> dict[str, object]:
        phys: dict[str, object] = {"artifactLocation": {"uri": f.path}}
        if f.line is not None:
            phys["region"] = {"startLine": f.line, "startColumn": f.column or 1}
        res: dict[str, object] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.message} ({f.key})" if f.key else f.message},
            "locations": [{"physicalLocation": phys}],
            "partialFingerprints": {"trackcheck/v1": f.fingerprint},
        }
        if f.suppressed is not None:
            kind = "external" if f.suppressed.startswith("baseline") else "inSource"
            res["suppressions"] = [{"kind": kind, "justification": f.suppressed}]
        return res

    results = [result(f) for f in report.findings]
    if show_suppressed:
        results += [result(f) for f in report.suppressed]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "trackcheck",
                "version": __version__,
                "informationUri": "https://github.com/trackcheck/trackcheck",
                "rules": sarif_rules,
            }},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2) + "\n"


def _gh_escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    # other control characters (ESC from a crafted file name) would reach the log raw: shown
    # as %XX, which the runner leaves as text
    return _CONTROL.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), s)


def github(report: Report, rules: Mapping[str, Rule], show_suppressed: bool = False) -> str:
    out = []
    for f in report.findings:
        props = [f"file={_gh_escape(f.path, True)}"]
        if f.line is not None:
            props += [f"line={f.line}", f"col={f.column or 1}"]
        props.append(f"title={_gh_escape(f.rule + ' ' + f.name, True)}")
        level = "error" if f.severity is Severity.ERROR else "warning"
        out.append(f"::{level} {','.join(props)}::{_gh_escape(f.message)}")
    out.append(_summary_line(report))
    return "\n".join(out) + "\n"


# characters XML 1.0 cannot carry at all, not even as references
# (compiled when JUnit is written: re's own cache keeps it)
_NOT_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"


def _xml_attr(s: str) -> str:
    from xml.sax.saxutils import quoteattr

    return quoteattr(re.sub(_NOT_XML, lambda m: repr(m.group())[1:-1], s))


def junit(report: Report, rules: Mapping[str, Rule], show_suppressed: bool = False) -> str:
    """One test case per finding (failed) and one passing case per clean subject."""
    from xml.sax.saxutils import escape, quoteattr

    cases = []
    for f in report.findings:
        body = escape(f"{_loc(f)}: {f.rule} {_one_line(f.message)} [{f.severity.value}]")
        name, message = _xml_attr(f.rule + " " + (f.key or f.name)), _xml_attr(f.message)
        cases.append(
            f"    <testcase classname={_xml_attr(f.path)} name={name}>\n"
            f"      <failure type={_xml_attr(f.rule)} message={message}>{body}</failure>\n"
            f"    </testcase>"
        )
    clean = report.summary.get("clean_subjects", [])
    for subject in clean if isinstance(clean, list) else []:
        cases.append(f"    <testcase classname={quoteattr(str(subject))} name=\"trackcheck\"/>")
    if not cases:
        cases.append('    <testcase classname="trackcheck" name="no findings"/>')
    n_fail = len(report.findings)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="trackcheck" tests="{len(cases)}" failures="{n_fail}">\n'
        f'  <testsuite name="trackcheck {report.engine}" tests="{len(cases)}" failures="{n_fail}"'
        ' errors="0">\n'
        + "\n".join(cases)
        + "\n  </testsuite>\n</testsuites>\n"
    )


def html(report: Report, rules: Mapping[str, Rule], show_suppressed: bool = False) -> str:
    """One self-contained page (``trackcheck.html_report``; only it imports Jinja2)."""
    from trackcheck.html_report import history_events, render_report

    state = report.registry
    history = history_events(state.history) if state is not None else None
    return render_report(report, rules, show_suppressed, alias_history=history)


REPORTERS: dict[str, Reporter] = {
    "text": text,
    "json": json_,
    "sarif": sarif,
    "github": github,
    "junit": junit,
    "html": html,
}

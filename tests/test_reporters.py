"""Reporters: SARIF valid against the official 2.1.0 schema, the JSON shape of the SPEC, GitHub
workflow-command escaping, JUnit that parses as XML, and the exact text line format."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import lint_text
from trackcheck.cli import FORMATS, _all_rules
from trackcheck.detect.redact import scrub_report
from trackcheck.engine import Report
from trackcheck.findings import Finding, Severity, fingerprint
from trackcheck.reporters import NEEDS_RULES, REPORTERS
from trackcheck.rule import Rule

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
RULES = _all_rules()
SNIPPET = """\
mlflow:
  tracking_uri: https://mlflow.example.com
  experiment_name: ${project.name}
db:
  url: postgresql://app:Hunter2-Secret-99@db:5432/app
model:
  depth: 3  # trackcheck: ignore[TC101]
  name: a
  name: b
"""


def _finding(rule: str, message: str, path: str, key: str, line: int | None,
             severity: Severity = Severity.ERROR) -> Finding:
    r = RULES.get(rule)
    return Finding(rule=rule, name=r.name if r else "unknown", severity=severity, message=message,
                   path=path, key=key, line=line, column=None if line is None else 3,
                   fingerprint=fingerprint(rule, path, key, message))


def linted() -> Report:
    return lint_text(SNIPPET)


def registry_report() -> Report:
    """Findings as the auditor makes them: no line, a models:/ URI as the path."""
    r = Report(engine="audit")
    r.findings = [
        _finding("TC201", "version 3 carries 'archived' and 'prod'", "models:/fraud/3", "aliases",
                 None),
        _finding("TC202", "unknown alias 'canary'", "models:/fraud", "aliases.canary", None,
                 Severity.WARNING),
    ]
    r.summary = {"models": 1, "versions": 3}
    return r


def odd_report() -> Report:
    """Characters every format must escape, in paths, keys and messages."""
    r = Report(engine="lint")
    message = "100% wrong: a,b <x> & \"q\" 'a'\nsecond line\r\x01"
    r.findings = [_finding("TC101", message, "cfg/we,ird:na%me.yaml", "a.b", 2)]
    r.suppressed = [replace(_finding("TC003", "duplicate key 'x'", "cfg/x.yaml", "x", 4),
                            suppressed='inline: legacy "reason" <ok>')]
    r.summary = {"files": 2}
    return r


REPORTS = {"lint": linted, "registry": registry_report, "odd": odd_report,
           "empty": lambda: Report("lint")}


def render(fmt: str, report: Report, show_suppressed: bool = False) -> str:
    return REPORTERS[fmt](report, RULES, show_suppressed)


def test_reporters_are_the_cli_formats() -> None:
    assert tuple(REPORTERS) == FORMATS


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("which", REPORTS)
def test_deterministic(fmt: str, which: str) -> None:
    assert render(fmt, REPORTS[which](), True) == render(fmt, REPORTS[which](), True)


# --- SARIF ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("show_suppressed", [False, True])
@pytest.mark.parametrize("which", REPORTS)
def test_sarif_is_valid_against_the_official_schema(which: str, show_suppressed: bool) -> None:
    doc = json.loads(render("sarif", REPORTS[which](), show_suppressed))
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_sarif_content() -> None:
    report = linted()
    doc = json.loads(render("sarif", report))
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "trackcheck"
    assert len(run["results"]) == len(report.findings)
    for res, f in zip(run["results"], report.findings, strict=True):
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"] == f.rule
        assert res["level"] == f.severity.value
        assert res["partialFingerprints"] == {"trackcheck/v1": f.fingerprint}
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "config/snippet.yaml"
        assert (loc["region"]["startLine"], loc["region"]["startColumn"]) == (f.line, f.column)
    for rule in rules:  # each rule used carries its help text
        assert rule["help"]["text"].startswith(RULES[rule["id"]].summary)
        assert "## Use instead" in rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")


def test_sarif_suppressions_only_with_show_suppressed() -> None:
    report = odd_report()
    assert len(json.loads(render("sarif", report))["runs"][0]["results"]) == 1
    results = json.loads(render("sarif", report, True))["runs"][0]["results"]
    assert [r.get("suppressions") for r in results] == [
        None, [{"kind": "inSource", "justification": 'inline: legacy "reason" <ok>'}]]


def test_sarif_registry_findings_have_no_region() -> None:
    results = json.loads(render("sarif", registry_report()))["runs"][0]["results"]
    locs = [r["locations"][0]["physicalLocation"] for r in results]
    assert [loc["artifactLocation"]["uri"] for loc in locs] == ["models:/fraud/3", "models:/fraud"]
    assert all("region" not in loc for loc in locs)


# --- JSON ----------------------------------------------------------------------------------------
FINDING_KEYS = {"rule", "name", "severity", "message", "path", "line", "column", "key",
                "fingerprint"}


def test_json_shape() -> None:
    report = linted()
    doc = json.loads(render("json", report))
    assert doc["version"] == 1
    assert {"version", "findings", "summary"} <= set(doc)
    assert [f["rule"] for f in doc["findings"]] == [f.rule for f in report.findings]
    for f in doc["findings"]:
        assert set(f) == FINDING_KEYS
        assert f["severity"] in ("error", "warning")
        assert re.fullmatch(r"TC\d{3}", f["rule"]) and re.fullmatch(r"[a-z0-9-]+", f["name"])
        assert isinstance(f["line"], int) and isinstance(f["column"], int)
        assert re.fullmatch(r"[0-9a-f]{32}", f["fingerprint"])
    s = doc["summary"]
    assert (s["files"], s["suppressed"]) == (1, 0)
    assert s["error"] == sum(f["severity"] == "error" for f in doc["findings"])
    assert s["warning"] == sum(f["severity"] == "warning" for f in doc["findings"])


def test_json_registry_findings_have_null_positions() -> None:
    doc = json.loads(render("json", registry_report()))
    assert [(f["path"], f["line"], f["column"]) for f in doc["findings"]] == [
        ("models:/fraud/3", None, None), ("models:/fraud", None, None)]
    assert doc["summary"] == {"models": 1, "versions": 3, "error": 1, "warning": 1, "suppressed": 0}


def test_json_suppressed() -> None:
    doc = json.loads(render("json", odd_report(), True))
    assert doc["summary"]["suppressed"] == 1
    assert doc["suppressed"][0]["suppressed"] == 'inline: legacy "reason" <ok>'
    assert "suppressed" not in json.loads(render("json", odd_report()))


# --- GitHub workflow commands --------------------------------------------------------------------
def test_github_escaping() -> None:
    out = render("github", odd_report()).splitlines()
    assert out[0] == (
        "::error file=cfg/we%2Cird%3Ana%25me.yaml,line=2,col=3,title=TC101 tracking-uri-literal::"
        "100%25 wrong: a,b <x> & \"q\" 'a'%0Asecond line%0D%01"  # no raw control character
    )
    assert len(out) == 2  # one command per finding, then the summary


def test_github_escapes_control_characters_of_file_names() -> None:
    report = Report(engine="lint", findings=[Finding(
        "TC111", "secret-literal", Severity.ERROR, "m", "esc/a\x1b[31mred\x85.yaml", "k", 1, 1)])
    line = render("github", report).splitlines()[0]
    assert line.startswith("::error file=esc/a%1B[31mred%C2%85.yaml,line=1,")
    assert not any(c in line for c in "\x1b\x85")


def test_github_levels_and_registry_paths() -> None:
    lines = render("github", registry_report()).splitlines()
    assert lines[0].startswith("::error file=models%3A/fraud/3,title=TC201 conflicting-aliases::")
    assert lines[1].startswith("::warning file=models%3A/fraud,title=TC202 unknown-alias::")


def test_github_lint_lines() -> None:
    report = linted()
    lines = render("github", report).splitlines()[:-1]
    assert len(lines) == len(report.findings)
    pat = re.compile(
        r"^::(error|warning) file=config/snippet\.yaml,line=\d+,col=\d+,title=TC\d{3} [a-z-]+::\S")
    assert all(pat.match(line) for line in lines), lines


# --- JUnit ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", REPORTS)
def test_junit_parses_with_failure_counts(which: str) -> None:
    report = REPORTS[which]()
    root = ET.fromstring(render("junit", report))
    suite = root.find("testsuite")
    assert suite is not None
    failures = list(root.iter("failure"))
    n = len(report.findings)
    assert int(root.get("failures", "-1")) == int(suite.get("failures", "-1")) == n
    assert len(failures) == len(report.findings)
    assert int(suite.get("tests", "0")) == len(list(suite.iter("testcase"))) >= 1


def test_junit_escapes_and_round_trips_text() -> None:
    root = ET.fromstring(render("junit", odd_report()))
    (failure,) = root.iter("failure")
    # line breaks survive as character references; \x01 cannot be in XML 1.0 at all
    assert failure.get("message") == "100% wrong: a,b <x> & \"q\" 'a'\nsecond line\r\\x01"
    assert failure.get("type") == "TC101"
    assert (failure.text or "").startswith("cfg/we,ird:na%me.yaml:2:3: TC101 100% wrong")


# --- text ----------------------------------------------------------------------------------------
TEXT_LINE = re.compile(r"^(?P<path>\S+):(?P<line>\d+):(?P<col>\d+): (?P<code>TC\d{3}) (?P<msg>.+) "
                       r"\[(?P<sev>error|warning)\]$")


def test_text_line_format() -> None:
    report = linted()
    *lines, summary = render("text", report).splitlines()
    assert len(lines) == len(report.findings)
    for line, f in zip(lines, report.findings, strict=True):
        assert line == f"{f.path}:{f.line}:{f.column}: {f.rule} {f.message} [{f.severity.value}]"
        assert TEXT_LINE.match(line)
    c = report.counts()
    assert summary == f"{c['error']} error(s), {c['warning']} warning(s) in 1 files"


def test_text_example_from_the_spec() -> None:
    text = "mlflow:\n  tracking_uri: https://mlflow.example.com\n"
    (f,) = lint_text(text, select=("TC101",)).findings
    assert render("text", Report("lint", findings=[f])).splitlines()[0] == (
        "config/snippet.yaml:2:17: TC101 literal tracking URI (tracking) in 'mlflow.tracking_uri'"
        " [error]")


def test_text_registry_and_suppressed() -> None:
    lines = render("text", registry_report()).splitlines()
    assert lines[0] == "models:/fraud/3: TC201 version 3 carries 'archived' and 'prod' [error]"
    assert lines[-1] == "1 error(s), 1 warning(s) in 1 models, 3 versions"
    shown = render("text", odd_report(), True).splitlines()
    # a line break in a message cannot forge a second finding line
    assert shown[0] == ("cfg/we,ird:na%me.yaml:2:3: TC101 100% wrong: a,b <x> & \"q\" 'a'"
                        "\\nsecond line\\r\\x01 [error]")
    assert len(shown) == 3
    assert shown[-2] == (
        "cfg/x.yaml:4:3: TC003 duplicate key 'x' [suppressed: inline: legacy \"reason\" <ok>]")
    assert shown[-1].endswith(", 1 suppressed in 2 files")


# --- masking values, not words -------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("which", REPORTS)
def test_secrets_that_are_words_of_the_output_change_no_byte(fmt: str, which: str) -> None:
    report = REPORTS[which]()
    raw = render(fmt, report, True)
    # every word the output holds (rule names and docs, severities, the format's own keys,
    # paths, key paths, messages), each recorded as a secret
    report.secrets = set(re.findall(r"[^\W\d_]{4,}", raw))
    assert len(report.secrets) >= 3  # "error", "warning", "nothing" at least
    assert render(fmt, scrub_report(report), True) == raw


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_secret_that_is_no_word_is_masked_in_every_field_but_rule_text(fmt: str) -> None:
    secret, token = "Hunter2-Zq9!xT4#pL", "dapi" + "a4c123b1612dd272d1371c17149d4395"
    report = registry_report()
    report.findings = [replace(f, message=f"{f.message} {secret}", key=f"tags.{token}",
                               path=f"{f.path}/{secret}") for f in report.findings]
    report.summary["registry"] = f"https://u:{secret}@mlflow.example.com"
    report.secrets = {secret, "prod", "aliases"}
    out = render(fmt, scrub_report(report), True)
    assert secret not in out and token not in out
    assert ("dapi************" in out) is (fmt in ("json", "sarif", "junit", "html"))  # keys
    shown = html.unescape(out) if fmt == "html" else out  # quotes are entities there
    assert "'archived' and 'prod'" in shown and "/fraud/3/************" in shown
    if fmt == "sarif":  # rule text is the rule's, never scrubbed
        plain = json.loads(render(fmt, registry_report()))["runs"][0]["tool"]["driver"]["rules"]
        assert json.loads(out)["runs"][0]["tool"]["driver"]["rules"] == plain



class _NoRules(Mapping[str, Rule]):
    """A rule map that fails when read: a reporter outside NEEDS_RULES must not read it."""

    def __getitem__(self, code: str) -> Rule:
        raise AssertionError(f"read rule {code}")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("listed the rules")

    def __len__(self) -> int:
        raise AssertionError("counted the rules")


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f not in NEEDS_RULES])
@pytest.mark.parametrize("which", REPORTS)
def test_reporters_that_print_no_rule_docs_never_read_the_rules(fmt: str, which: str) -> None:
    """``cli._finish`` loads rule docs only for NEEDS_RULES (SARIF): the others print the same
    without them."""
    assert REPORTERS[fmt](REPORTS[which](), _NoRules(), True) == render(fmt, REPORTS[which](), True)


def test_the_rules_for_sarif_come_from_the_engines_of_the_codes_shown() -> None:
    lint_only = _all_rules({"TC101", "TC003"})
    assert {"TC101", "TC003"} <= lint_only.keys() and "TC201" not in lint_only
    assert _all_rules({"TC101", "TC201"}) == RULES

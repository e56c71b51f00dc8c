"""``trackcheck diff``: the changes between two registry states, in every format, and its gate.

States here come from registry descriptions (``audit.fixture``); tests/audit/test_snapshot_live.py
does the same against a real server."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from trackcheck import diff, snapshot
from trackcheck.audit.fixture import snapshot_from_yaml
from trackcheck.audit.runner import check
from trackcheck.detect.redact import scrub_report
from trackcheck.policy import load_policy

POLICY = load_policy("default")[0]
RUNS = """
runs:
  ok1: {tags: {project: p, env: prod, model_name: m, data_name: d, debug: "false",
               mlflow.source.git.commit: abc}, datasets: [{name: d, digest: x1}]}
  ok2: {tags: {project: p, env: prod, model_name: m, data_name: d, debug: "false",
               mlflow.source.git.commit: abd}, datasets: [{name: d, digest: x2}]}
  dbg: {tags: {project: p, env: prod, model_name: m, data_name: d, debug: "true",
               mlflow.source.git.commit: abe}, datasets: [{name: d, digest: x3}]}
"""
BEFORE = """
models:
  churn:
    aliases: {prod: 1, archived: 1, dev: 2}
    versions: {1: {run: ok1}, 2: {run: ok2}, 3: {run: dbg}}
  legacy:
    versions: {1: {}}
""" + RUNS
AFTER = """
models:
  churn:
    aliases: {prod: 2, archived: 1, staging: 3}
    versions: {1: {run: ok1}, 2: {run: ok2}, 3: {run: dbg}, 4: {status: PENDING_REGISTRATION}}
  fraud:
    versions: {1: {}}
""" + RUNS


def state(text: str, when: str) -> snapshot.Snapshot:
    report = check(snapshot_from_yaml(text), POLICY)
    return snapshot.parse(snapshot.document(scrub_report(report), taken_at=when))


@pytest.fixture(scope="module")
def changes() -> diff.Diff:
    return diff.compare(state(BEFORE, "t1"), state(AFTER, "t2"))


def test_the_diff_is_exactly_the_changes_made(changes: diff.Diff) -> None:
    d = changes
    assert d.models_added == ["fraud"] and d.models_deleted == ["legacy"]
    assert [(m.model, m.alias, m.old, m.new) for m in d.aliases] == [
        ("churn", "dev", 2, None), ("churn", "prod", 1, 2), ("churn", "staging", None, 3)]
    assert [(v.model, v.version) for v in d.versions_added] == [("churn", 4), ("fraud", 1)]
    assert [(v.model, v.version) for v in d.versions_deleted] == [("legacy", 1)]
    assert d.versions_archived == [] and d.versions_restored == [] and d.versions_changed == []
    # prod left the archived version (TC201 fixed); staging went to a debug run's version (TC206)
    assert [(f.rule, f.path) for f in d.findings_fixed] == [("TC201", "models:/churn/1")]
    assert [(f.rule, f.path) for f in d.findings_new] == [("TC206", "models:/churn/3")]


def test_archiving_restoring_and_status_changes() -> None:
    before = "models:\n  m:\n    aliases: {archived: 1}\n    versions: {1: {}, 2: {}, 3: {}}\n"
    after = ("models:\n  m:\n    aliases: {archived: 2}\n"
             "    versions: {1: {}, 2: {}, 3: {stage: Archived, status: FAILED_REGISTRATION}}\n")
    d = diff.compare(state(before, "a"), state(after, "b"))
    assert [(v.model, v.version) for v in d.versions_archived] == [("m", 2), ("m", 3)]
    assert [(v.model, v.version) for v in d.versions_restored] == [("m", 1)]
    assert [(c.version, c.field, c.old, c.new) for c in d.versions_changed] == [
        (3, "status", "READY", "FAILED_REGISTRATION"), (3, "stage", "None", "Archived")]
    assert [f.rule for f in d.findings_new] == ["TC203"]


def test_no_change(changes: diff.Diff) -> None:
    same = diff.compare(state(AFTER, "t2"), state(AFTER, "t3"))
    assert same.empty and not changes.empty
    assert diff.text(same).splitlines()[-1] == "no change"
    assert "No change." in diff.markdown(same)


def test_a_selection_compares_only_its_findings() -> None:
    d = diff.compare(state(BEFORE, "t1"), state(AFTER, "t2"), lambda code: code == "TC201")
    assert [f.rule for f in d.findings_fixed] == ["TC201"] and d.findings_new == []


def test_text(changes: diff.Diff) -> None:
    out = diff.text(changes)
    for line in ("aliases moved:", "  churn@prod: v1 -> v2", "  churn@staging: (unset) -> v3",
                 "  churn@dev: v2 -> (removed)", "versions added:", "  churn v4",
                 "versions deleted:", "  legacy v1", "models added:", "  fraud",
                 "findings new:", "findings fixed:"):
        assert line in out.splitlines(), line
    assert "models:/churn/3: TC206 " in out
    assert out.splitlines()[-1] == ("1 models added, 1 models deleted, 3 aliases moved, "
                                    "2 versions added, 1 versions deleted, 1 findings new, "
                                    "1 findings fixed")


def test_json(changes: diff.Diff) -> None:
    doc = json.loads(diff.json_(changes))
    assert doc["version"] == 1 and doc["summary"]["findings_new"] == 1
    assert doc["aliases"][1] == {"model": "churn", "alias": "prod", "old": 1, "new": 2}
    assert doc["findings_new"][0]["rule"] == "TC206"
    assert set(doc["findings_new"][0]) == {"fingerprint", "rule", "name", "severity", "path",
                                           "key", "message"}
    assert doc["old"] == {"registry": "fixture", "taken_at": "t1"}


def test_markdown(changes: diff.Diff) -> None:
    out = diff.markdown(changes)
    assert out.startswith("### trackcheck: registry changes\n")
    assert "**Findings new (1)**" in out and "**Findings fixed (1)**" in out
    assert "- churn @prod: v1 → v2" in out


def test_html(changes: diff.Diff) -> None:
    out = diff.html(changes)
    assert out.startswith("<!DOCTYPE html>") and "http-equiv=\"Content-Security-Policy\"" in out
    assert 'id="findings-new"' in out and 'data-rule="TC206"' in out
    assert "docs/rules.md#tc206-debug-run-promoted" in out


HOSTILE_NAME = "<img src=x onerror=alert(1)>[x](http://evil)|`\x1b[2J"


def test_hostile_names_stay_text_in_every_format() -> None:
    before = "models: {}\n"
    after = f"models:\n  {json.dumps(HOSTILE_NAME)}:\n    aliases: {{prod: 1}}\n"
    d = diff.compare(state(before, "a"), state(after, "b"))
    assert d.models_added == [HOSTILE_NAME]
    text = diff.text(d)
    assert "\x1b" not in text and "\\x1b[2J" in text
    md = diff.markdown(d)
    assert "<img" not in md and "[x](http" not in md and "\x1b" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;\\[x\\](http://evil)\\|\\`" in md
    page = diff.html(d)
    assert "<img" not in page and html.escape(HOSTILE_NAME.replace("\x1b", "")) not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert json.loads(diff.json_(d))["models_added"] == [HOSTILE_NAME]


# --- the CLI ------------------------------------------------------------------------------------
@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in (("before", BEFORE), ("after", AFTER)):
        out[name] = tmp_path / f"{name}.json"
        out[name].write_text(json.dumps(snapshot.document(
            scrub_report(check(snapshot_from_yaml(text), POLICY)), taken_at=name)), "utf-8")
    return out


@pytest.mark.parametrize("fmt", diff.FORMATS)
def test_every_format_from_the_cli(fmt: str, files: dict[str, Path],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "diff", str(files["before"]), str(files["after"]),
                             "--format", fmt)
    assert (code, err) == (0, "")
    assert out == diff.RENDERERS[fmt](diff.compare(snapshot.load(files["before"]),
                                                   snapshot.load(files["after"])))


def test_fail_on_new_exits_1_only_for_new_findings(files: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    b, a = str(files["before"]), str(files["after"])
    assert run_cli(capsys, "diff", b, a, "--fail-on-new")[0] == 1  # TC206 is new
    assert run_cli(capsys, "diff", b, a)[0] == 0  # no gate without the flag
    assert run_cli(capsys, "diff", a, a, "--fail-on-new")[0] == 0  # nothing changed
    # only fixed (TC201), and a new one outside the selection: the gate stays open
    assert run_cli(capsys, "diff", b, a, "--fail-on-new", "--select", "TC201")[0] == 0
    assert run_cli(capsys, "diff", b, a, "--fail-on-new", "--ignore", "TC206")[0] == 0
    assert run_cli(capsys, "diff", a, b, "--fail-on-new")[0] == 1  # TC201 comes back


def test_output_file(files: dict[str, Path], tmp_path: Path,
                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d" / "diff.md"
    code, stdout, _ = run_cli(capsys, "diff", str(files["before"]), str(files["after"]),
                              "--format", "markdown", "--output", str(out))
    assert (code, stdout) == (0, "") and out.read_text("utf-8").startswith("### trackcheck")


@pytest.mark.parametrize("argv", [["diff", "a.json"], ["diff", "a.json", "b.json", "--live"]])
def test_new_xor_live(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert (code, out) == (2, "") and "OLD and NEW snapshots, or OLD and --live" in err

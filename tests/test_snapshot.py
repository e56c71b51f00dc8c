"""Snapshots (``audit --registry --snapshot FILE``): what they hold, that they hold no secret, and
that a hostile snapshot file is one clear line and exit 2 (never a traceback, a hang, a secret
or markup in any output)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_cli
from trackcheck import snapshot
from trackcheck.audit.fixture import snapshot_from_yaml
from trackcheck.audit.runner import check
from trackcheck.detect.redact import scrub_report
from trackcheck.engine import Report
from trackcheck.policy import load_policy

POLICY = load_policy("default")[0]
GHP = "ghp_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"  # made up, long and mixed
PASSWORD = "Hunter2-Zq9!xT4#pL"
DB_PASSWORD = "pg-Pass-7f3k2Xq"
REGISTRY = f"""
models:
  churn:
    aliases: {{prod: 3, archived: 3, staging: 4}}
    tags: {{team: ml, token: {GHP}}}
    description: "db at postgresql://ml:{DB_PASSWORD}@db/x"
    versions:
      1: {{stage: Archived}}
      3: {{run: r3, tags: {{password: "{PASSWORD}"}}}}
      4: {{run: r4}}
  fraud:
    aliases: {{dev: 1}}
    versions:
      1: {{run: r5}}
runs:
  r3: {{tags: {{env: prod, debug: "true"}}, params: {{db.password: "{PASSWORD}"}}}}
  r4: {{status: FAILED}}
  r5: {{tags: {{env: dev}}}}
"""
SECRETS = (GHP, PASSWORD, DB_PASSWORD)


def audited(text: str = REGISTRY, select: tuple[str, ...] = ("TC",)) -> Report:
    from trackcheck.engine import Selection

    return check(snapshot_from_yaml(text), POLICY, Selection(select=select))


def test_a_snapshot_holds_the_state_by_model_and_version(tmp_path: Path) -> None:
    report = audited()
    written = snapshot.write(tmp_path / "s.json", scrub_report(report))
    snap = snapshot.load(tmp_path / "s.json")
    assert snap == written
    assert [m.name for m in snap.models] == ["churn", "fraud"]
    churn = snap.models[0]
    assert churn.aliases == {"archived": 3, "prod": 3, "staging": 4}
    rows = {v.version: v for v in churn.versions}
    assert sorted(rows) == [1, 3, 4]
    assert (rows[1].stage, rows[1].retired, rows[1].run_status) == ("Archived", True, "none")
    assert (rows[3].aliases, rows[3].retired, rows[3].debug) == (["archived", "prod"], True, True)
    assert rows[3].lineage == ["git commit", "dataset digest"]
    assert (rows[4].run_status, rows[4].debug) == ("FAILED", False)
    # every finding is listed once, by fingerprint, and referenced from its version
    fps = {f.fingerprint for f in report.findings}
    assert {f.fingerprint for f in snap.findings} == fps and len(snap.findings) == len(fps)
    on_v3 = {f.rule for f in snap.findings if f.fingerprint in rows[3].findings}
    assert {"TC201", "TC206", "TC207", "TC208"} <= on_v3
    assert {f.rule for f in snap.findings if f.fingerprint in churn.findings} == {"TC208"}
    assert snap.lifecycle == ["dev", "staging", "prod", "archived"] and snap.retired == ["archived"]


@pytest.mark.parametrize("select", [("TC",), ("TC201",)])
def test_a_snapshot_holds_no_secret_whatever_the_rules_selected(tmp_path: Path,
                                                                select: tuple[str, ...]) -> None:
    report = audited(select=select)
    snapshot.write(tmp_path / "s.json", scrub_report(report))
    text = (tmp_path / "s.json").read_text("utf-8")
    for secret in SECRETS:
        assert secret not in text
    doc = json.loads(text)
    assert "tags" not in json.dumps(doc["models"])  # no tag, no description, no value at all
    assert doc["format"] == "trackcheck-snapshot" and doc["version"] == 1


def test_the_state_masks_what_the_secret_rules_flag_even_when_they_did_not_run() -> None:
    report = audited(select=("TC201",))
    assert not any(f.rule == "TC208" for f in report.findings)
    assert report.registry is not None
    churn = report.registry.models[0]
    shown = repr(churn) + repr(churn.versions)
    for secret in SECRETS:
        assert secret not in shown
    assert ("token", "ghp_************") in churn.tags
    assert churn.description == "db at postgresql://ml:****@db/x"
    assert dict(churn.versions[1].tags) == {"password": "************"}
    # recorded as TC208 records them (a credential URI whole), so every other output masks them
    assert all(any(secret in s for s in report.secrets) for secret in SECRETS)


def test_writing_refuses_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(snapshot.SnapshotError, match="not a regular file"):
        snapshot.write(fifo, scrub_report(audited()))


# --- hostile snapshot files -------------------------------------------------------------------
def _valid() -> dict[str, object]:
    return snapshot.document(scrub_report(audited()), taken_at="2026-01-01T00:00:00+00:00")


def _with(**change: object) -> str:
    return json.dumps({**_valid(), **change})


HOSTILE: dict[str, tuple[bytes | str, str]] = {
    "empty": ("", "invalid JSON"),
    "not json": ("{models: [}", "invalid JSON"),
    "a list": ("[1, 2]", 'no "format"'),
    "a baseline": ('{"format": "trackcheck-baseline", "version": 1, "findings": []}',
                   'no "format"'),
    "newer version": (_with(version=2), "unsupported snapshot version 2"),
    "version as text": (_with(version="1"), "unsupported snapshot version '1'"),
    "version true": (_with(version=True), "unsupported snapshot version True"),
    "huge version": ('{"format": "trackcheck-snapshot", "version": ' + "9" * 5000 + "}",
                     "a number too long"),
    "deep nesting": ('{"format": "trackcheck-snapshot", "version": 1, "models": '
                     + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    "not utf-8": (b'{"format": "trackcheck-snapshot", "registry": "\xff\xfe"}', "not UTF-8"),
    "unknown key": (_with(extra=1), "extra: Extra inputs are not permitted"),
    "models not a list": (_with(models={"a": 1}), "models: Input should be a valid list"),
    "negative version": (_with(models=[{"name": "m", "versions": [
        {"version": -1, "status": "READY", "stage": "None"}]}]), "models.0.versions.0.version"),
    "huge version number": (_with(models=[{"name": "m", "versions": [
        {"version": 2**70, "status": "READY", "stage": "None"}]}]), "less than or equal"),
    "model twice": (_with(models=[{"name": "m"}, {"name": "m"}]), "models.1: a model listed twice"),
    "version twice": (_with(models=[{"name": "m", "versions": [
        {"version": 1, "status": "READY", "stage": "None"},
        {"version": 1, "status": "READY", "stage": "None"}]}]), "a version listed twice"),
    "bad fingerprint": (_with(findings=[{"fingerprint": "<script>", "rule": "TC201",
                                         "name": "x", "severity": "error", "path": "p"}]),
                        "findings.0.fingerprint"),
    "hostile key": (_with(models=[{"name": "m", "aliases": {"\x1b[31m<b>": "x"}}]),
                    "models.0.aliases.<key>"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_snapshot_is_one_line_and_exit_2(case: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    content, why = HOSTILE[case]
    bad = tmp_path / "bad.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_valid()), "utf-8")
    for argv in (["diff", str(bad), str(good)], ["diff", str(good), str(bad)]):
        code, out, err = run_cli(capsys, *argv)
        assert (code, out) == (2, "")
        assert err.count("\n") == 1 and why in err, err
        assert err.startswith(f"trackcheck: {bad}") and "\x1b" not in err


def test_a_snapshot_past_the_size_bound_is_refused_unread(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps(_valid()), "utf-8")
    monkeypatch.setattr(snapshot, "MAX_BYTES", 100)
    with pytest.raises(snapshot.SnapshotError, match="larger than"):
        snapshot.load(big)


@pytest.mark.parametrize("kind", ["fifo", "directory", "missing", "device"])
def test_a_snapshot_that_is_not_a_regular_file_is_refused(
        kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "snap"
    if kind == "fifo":
        os.mkfifo(path)  # a read would block until a writer: never opened
    elif kind == "directory":
        path.mkdir()
    elif kind == "device":
        path = Path("/dev/zero")  # endless: never read
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_valid()), "utf-8")
    code, out, err = run_cli(capsys, "diff", str(path), str(good))
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert ("not found" if kind == "missing" else "not a regular file") in err


def test_strings_of_a_hand_made_snapshot_come_back_masked(tmp_path: Path) -> None:
    doc = _valid()
    doc["registry"] = f"https://u:{DB_PASSWORD}@mlflow.example.com"
    doc["models"] = [{"name": f"m-{GHP}", "aliases": {"prod": 1},
                      "versions": [{"version": 1, "status": "READY", "stage": "None"}]}]
    (tmp_path / "s.json").write_text(json.dumps(doc), "utf-8")
    snap = snapshot.load(tmp_path / "s.json")
    assert snap.registry == "https://u:****@mlflow.example.com"
    assert snap.models[0].name == "m-ghp_************"

"""Snapshots and diffs of the real registry: snapshot -> change the registry -> snapshot -> the
diff shows exactly the changes made; snapshots hold no secret; ``--fail-on-new`` gates only on
new findings; ``diff OLD --live`` compares with the registry as it is now."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.audit.conftest import MlflowServer, Seeder
from tests.conftest import run_cli

PASSWORD = "Hunter2-Zq9!xT4#pL-snap"  # mixed and long: it cannot collide with other output
TOKEN = "ghp_" + "Zq9xT4pLaB3dE5fG7hI9jK1lM3nO5pQ7rS9t"


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "GITHUB_ACTIONS"):
        monkeypatch.delenv(k, raising=False)


def _run(seed: Seeder, name: str, debug: bool = False) -> str:
    """A run that satisfies the policy (tags, git commit, dataset digest), but for ``debug``."""
    return seed.run(tags={"project": "demo", "env": "prod", "model_name": name, "data_name": "d",
                          "debug": str(debug).lower(), "mlflow.source.git.commit": "c" * 40},
                    dataset_digest="9d1e")


def _snapshot(server: MlflowServer, capsys: pytest.CaptureFixture[str], path: Path) -> int:
    code, _, err = run_cli(capsys, "audit", "--registry", "--tracking-uri", server.uri,
                           "--policy", "default", "--snapshot", str(path), "-q")
    assert path.is_file(), err
    assert err == ""  # -q: not even the "wrote snapshot" line
    return code


def _diff(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(capsys, "diff", *argv, "--format", "json")
    assert err == "", err
    return code, json.loads(out)


def _mine(doc: dict[str, Any], name: str) -> dict[str, list[Any]]:
    """The diff's entries, each list checked to hold nothing but ``name``'s entries (the registry
    is shared with other tests, none of which runs between the two snapshots)."""
    out: dict[str, list[Any]] = {}
    for key in ("aliases", "versions_added", "versions_deleted", "versions_archived",
                "versions_restored", "versions_changed"):
        out[key] = [{k: v for k, v in e.items() if k != "model"} for e in doc[key]]
        assert all(e["model"] == name for e in doc[key]), (key, doc[key])
    for key in ("findings_new", "findings_fixed"):
        out[key] = [(f["rule"], f["path"], f["key"]) for f in doc[key]]
        assert all(f["path"].startswith(f"models:/{name}/") for f in doc[key]), doc[key]
    assert doc["models_added"] == [] and doc["models_deleted"] == []
    return out


def test_snapshot_change_snapshot_diff_shows_exactly_the_changes(
        seed: Seeder, mlflow_server: MlflowServer, mlflow_client: Any, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    name = seed.model(tags={"owner": TOKEN})
    v1 = seed.version(name, run_id=_run(seed, name), aliases=["prod"])
    v2 = seed.version(name, run_id=_run(seed, name), aliases=["dev"],
                      tags={"password": PASSWORD})  # TC208, fixed below
    v3 = seed.version(name, run_id=_run(seed, name, debug=True))
    before, after, fixed = tmp_path / "s1.json", tmp_path / "s2.json", tmp_path / "s3.json"
    assert _snapshot(mlflow_server, capsys, before) == 1
    text = before.read_text("utf-8")
    assert PASSWORD not in text and TOKEN not in text  # no secret in a snapshot
    mine = next(m for m in json.loads(text)["models"] if m["name"] == name)
    assert mine["aliases"] == {"dev": v2, "prod": v1}

    c = mlflow_client
    c.set_registered_model_alias(name, "prod", str(v2))  # move an alias: prod v1 -> v2
    v4 = seed.version(name, run_id=_run(seed, name))  # add a version
    c.set_registered_model_alias(name, "archived", str(v1))  # archive one
    c.delete_model_version_tag(name, str(v2), "password")  # fix a violation (TC208)
    c.set_registered_model_alias(name, "staging", str(v3))  # a new one: a debug run (TC206)
    _snapshot(mlflow_server, capsys, after)
    assert PASSWORD not in after.read_text("utf-8") and TOKEN not in after.read_text("utf-8")

    code, doc = _diff(capsys, str(before), str(after), "--fail-on-new")
    assert code == 1
    assert _mine(doc, name) == {
        "aliases": [{"alias": "archived", "old": None, "new": v1},
                    {"alias": "prod", "old": v1, "new": v2},
                    {"alias": "staging", "old": None, "new": v3}],
        "versions_added": [{"version": v4}],
        "versions_deleted": [],
        "versions_archived": [{"version": v1}],
        "versions_restored": [],
        "versions_changed": [],
        "findings_new": [("TC206", f"models:/{name}/{v3}", "run.tags.debug")],
        "findings_fixed": [("TC208", f"models:/{name}/{v2}", "tags.password")],
    }

    # fixing only: the gate stays open (the old state had what the new one lacks)
    c.delete_registered_model_alias(name, "staging")
    _snapshot(mlflow_server, capsys, fixed)
    code, doc = _diff(capsys, str(after), str(fixed), "--fail-on-new")
    assert code == 0
    assert _mine(doc, name)["findings_fixed"] == [("TC206", f"models:/{name}/{v3}",
                                                   "run.tags.debug")]
    assert _mine(doc, name)["findings_new"] == []

    # the same comparison against the live registry, in the other direction: TC206 gone
    code, doc = _diff(capsys, str(after), "--live", "--tracking-uri", mlflow_server.uri,
                      "--policy", "default", "--fail-on-new")
    assert code == 0 and doc["new"]["taken_at"] == "now (live)"
    assert _mine(doc, name)["aliases"] == [{"alias": "staging", "old": v3, "new": None}]


def test_the_live_diff_fails_on_a_new_finding_and_reads_nothing_else(
        seed: Seeder, mlflow_server: MlflowServer, mlflow_client: Any, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    name = seed.model()
    v1 = seed.version(name, run_id=_run(seed, name), aliases=["prod"])
    _snapshot(mlflow_server, capsys, tmp_path / "s.json")
    mlflow_client.set_registered_model_alias(name, "archived", str(v1))  # TC201: archived + prod
    code, out, err = run_cli(capsys, "diff", str(tmp_path / "s.json"), "--live",
                             "--tracking-uri", mlflow_server.uri, "--policy", "default",
                             "--fail-on-new", "--format", "markdown")
    assert code == 1 and err == ""
    assert f"TC201 version {v1} of '{name}' carries 'archived' and 'prod'" in out
    # a registry that cannot be reached: exit 3, one line, as for the audit
    code, out, err = run_cli(capsys, "diff", str(tmp_path / "s.json"), "--live",
                             "--tracking-uri", "http://127.0.0.1:9", "--timeout", "1")
    assert (code, out) == (3, "") and err.count("\n") == 1

"""TC162 mlflow-store-committed: one finding per committed MLflow file store, on a file chosen the
same way in every run; other `meta.yaml` files are not MLflow's."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import findings_for
from trackcheck.cli import main
from trackcheck.lint.discover import mlflow_store_file
from trackcheck.lint.rules.tc162_mlflow_store_committed import RULE

RUN_A = "0123456789abcdef0123456789abcdef"
RUN_B = "fedcba9876543210fedcba9876543210"
RUN_C = "aaaabbbbccccddddeeeeffff00001111"


def experiment_meta(exp: str, name: str = "Default") -> str:
    return (f"artifact_location: file:///home/alice/project/mlruns/{exp}\n"
            f"creation_time: 1714550400000\nexperiment_id: '{exp}'\n"
            f"last_update_time: 1714550400000\nlifecycle_stage: active\nname: {name}\n")


def run_meta(exp: str, run: str, key: str = "run_id") -> str:
    return (f"artifact_uri: file:///home/alice/project/mlruns/{exp}/{run}/artifacts\n"
            f"end_time: 1714550500000\nentry_point_name: ''\nexperiment_id: '{exp}'\n"
            f"lifecycle_stage: active\n{key}: {run}\nrun_name: bold-cat-42\n"
            f"source_type: 4\nstart_time: 1714550400000\nstatus: 3\ntags: []\n"
            "user_id: alice\n")


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")


def store(root: Path, at: str = "mlruns", *, experiments: bool = True) -> None:
    """Two experiments and three runs, with params and tags as MLflow writes them."""
    files = {f"{at}/0/{RUN_A}/meta.yaml": run_meta("0", RUN_A),
             f"{at}/1/{RUN_B}/meta.yaml": run_meta("1", RUN_B, "run_uuid"),
             f"{at}/1/{RUN_C}/meta.yaml": run_meta("1", RUN_C),
             f"{at}/1/{RUN_C}/params/db_password": "Hunter2-Secret-99",
             f"{at}/1/{RUN_C}/tags/mlflow.user": "alice"}
    if experiments:
        files |= {f"{at}/0/meta.yaml": experiment_meta("0"),
                  f"{at}/1/meta.yaml": experiment_meta("1", "churn")}
    write(root, files)


def lint_json(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
              *args: str) -> list[dict[str, object]]:
    """The TC162 findings of ``trackcheck lint --format json ARGS`` run from ``root``."""
    monkeypatch.chdir(root)
    capsys.readouterr()
    main(["lint", "--format", "json", *args])
    return [f for f in json.loads(capsys.readouterr().out)["findings"] if f["rule"] == "TC162"]


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_cli_one_finding_per_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q")
    store(tmp_path)
    git(tmp_path, "add", "-A")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["lint", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["files"] == 5
    (f,) = [f for f in out["findings"] if f["rule"] == "TC162"]
    assert (f["path"], f["line"], f["key"], f["severity"]) == ("mlruns/0/meta.yaml", None, "",
                                                               "error")
    assert "MLflow file store 'mlruns/'" in f["message"]
    assert "add 'mlruns/' to .gitignore" in f["message"]


# (store folder, whether experiment metas exist) -> the file that carries the finding
CARRIERS = [
    ("mlruns", True, "mlruns/0/meta.yaml"),
    ("mlruns", False, f"mlruns/0/{RUN_A}/meta.yaml"),
    ("tracking/store", True, "tracking/store/0/meta.yaml"),  # any folder, not only mlruns/
]


@pytest.mark.parametrize(("at", "experiments", "carrier"), CARRIERS)
def test_carrier(at: str, experiments: bool, carrier: str, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    store(tmp_path, at, experiments=experiments)
    (f,) = lint_json(tmp_path, monkeypatch, capsys, at.split("/")[0])
    assert f["path"] == carrier and f"MLflow file store '{at}/'" in str(f["message"])


def test_experiment_metadata_comes_before_runs(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {f"mlruns/0/{RUN_A}/meta.yaml": run_meta("0", RUN_A),
                     "mlruns/1/meta.yaml": experiment_meta("1"),
                     f"mlruns/1/{RUN_B}/meta.yaml": run_meta("1", RUN_B)})
    (f,) = lint_json(tmp_path, monkeypatch, capsys, "mlruns")
    assert f["path"] == "mlruns/1/meta.yaml"


def test_two_stores_two_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    store(tmp_path, "mlruns")
    store(tmp_path, "examples/mlruns")
    found = lint_json(tmp_path, monkeypatch, capsys, ".")
    assert sorted(f["path"] for f in found) == ["examples/mlruns/0/meta.yaml",
                                                "mlruns/0/meta.yaml"]


def test_deleted_experiments_belong_to_their_store(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"mlruns/.trash/7/meta.yaml": experiment_meta("7"),
                     f"mlruns/.trash/7/{RUN_A}/meta.yaml": run_meta("7", RUN_A)})
    (f,) = lint_json(tmp_path, monkeypatch, capsys, "mlruns/.trash/7/meta.yaml",
                     f"mlruns/.trash/7/{RUN_A}/meta.yaml")
    assert f["path"] == "mlruns/.trash/7/meta.yaml"
    assert "MLflow file store 'mlruns/'" in str(f["message"])


def test_pre_commit_with_some_files_of_a_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Reported when the carrying file is passed; otherwise the full lint reports it."""
    store(tmp_path)
    assert lint_json(tmp_path, monkeypatch, capsys, f"mlruns/1/{RUN_C}/meta.yaml",
                     "mlruns/1/meta.yaml") == []
    (f,) = lint_json(tmp_path, monkeypatch, capsys, f"mlruns/1/{RUN_C}/meta.yaml",
                     "mlruns/0/meta.yaml")
    assert f["path"] == "mlruns/0/meta.yaml"


def test_git_ignored_store_is_a_local_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("mlruns/\n")
    store(tmp_path)
    assert lint_json(tmp_path, monkeypatch, capsys, "mlruns/0/meta.yaml", "mlruns") == []


def test_a_git_ignored_file_passes_the_finding_on(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("mlruns/0/\n")
    store(tmp_path)
    (f,) = lint_json(tmp_path, monkeypatch, capsys, "mlruns/0/meta.yaml", "mlruns/1/meta.yaml")
    assert f["path"] == "mlruns/1/meta.yaml"


# file -> text: MLflow metadata in a store's layout is reported by the store, elsewhere alone
LONE = [
    ("config/snippet.yaml", experiment_meta("0")),
    ("backup/meta.yaml", run_meta("0", RUN_A)),
    (f"mlruns/0/{RUN_B}/meta.yaml", run_meta("0", RUN_A)),  # folder is not the run's id
    ("mlruns/3/meta.yaml", experiment_meta("4")),  # folder is not the experiment's id
]


@pytest.mark.parametrize(("rel", "text"), LONE)
def test_metadata_outside_a_store_layout_is_reported_on_its_file(rel: str, text: str) -> None:
    (f,) = findings_for("TC162", text, rel)
    assert (f.path, f.line) == (rel, None)
    assert "MLflow" in f.message and "metadata committed" in f.message


# file -> text: not MLflow's experiment or run metadata
PASS = [
    ("recipe/meta.yaml", "package:\n  name: trackcheck\nrequirements:\n  run: [python]\n"),
    ("mlruns/0/meta.yaml", "package:\n  name: x\n"),
    ("mlruns/0/meta.yaml", "experiment_id: '0'\nname: Default\n"),  # no lifecycle, no location
    ("mlartifacts/0/abc/artifacts/model/MLmodel.yaml",
     f"artifact_path: model\nflavors: {{}}\nrun_id: {RUN_A}\n"),
    ("mlruns/models/churn/meta.yaml", "name: churn\ncreation_timestamp: 1\n"),  # the registry's
    ("mlruns/0/meta.yaml", "- experiment_id\n- lifecycle_stage\n"),
    ("config/mlflow/default.yaml", "tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n"),
]


@pytest.mark.parametrize(("rel", "text"), PASS)
def test_not_mlflow_metadata(rel: str, text: str) -> None:
    assert findings_for("TC162", text, rel) == []


def test_store_paths_are_recognised() -> None:
    assert mlflow_store_file("mlruns/0/meta.yaml")
    assert mlflow_store_file(f"store/12/{RUN_A}/meta.yaml")
    assert mlflow_store_file("mlruns/0/tags/x.yaml")
    assert not mlflow_store_file("recipe/meta.yaml")
    assert not mlflow_store_file("config/0/other.yaml")


def test_doc_examples() -> None:
    example, use_instead = RULE.first_yaml_block("Example"), RULE.first_yaml_block("Use instead")
    assert example and use_instead
    assert len(findings_for("TC162", example)) == 1
    assert len(findings_for("TC162", example, "mlruns/0/meta.yaml")) == 1
    assert findings_for("TC162", use_instead) == []

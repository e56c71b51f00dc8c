"""The audit is strictly read-only: nothing it does writes to a registry or creates a store."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from trackcheck.audit.mlflow_source import MlflowSource
from trackcheck.cli import main


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(d: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in d.iterdir()}


@pytest.fixture
def registry_with_content(seed):  # type: ignore[no-untyped-def]
    name = seed.model(tags={"team": "ml"}, description="read me, do not touch me")
    run = seed.run(tags={"env": "prod", "debug": "false"}, params={"lr": "0.1"},
                   dataset_digest="abc123")
    seed.version(name, run_id=run, aliases=["prod", "archived"], stage="Production")
    seed.version(name, run_id=seed.run(deleted=True), aliases=["staging"])
    return name


def test_server_database_is_byte_for_byte_the_same(mlflow_server, registry_with_content,
                                                   run_audit) -> None:  # type: ignore[no-untyped-def]
    db = mlflow_server.db_path
    files_before = _listing(db.parent)
    before = _sha(db)
    p = run_audit("--policy", "default", "--format", "json")
    assert p.returncode == 1, p.stderr  # it found the planted problems ...
    assert '"models"' in p.stdout
    assert _sha(db) == before  # ... and changed nothing
    assert {k: v for k, v in _listing(db.parent).items() if k != "server.log"} == {
        k: v for k, v in files_before.items() if k != "server.log"}


def test_only_search_endpoints_are_called(mlflow_server, registry_with_content,
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[str, str]] = []
    original = requests.Session.send

    def spy(self, request, **kw):  # type: ignore[no-untyped-def]
        calls.append((request.method, urlsplit(request.url).path))
        return original(self, request, **kw)

    monkeypatch.setattr(requests.Session, "send", spy)
    snap = MlflowSource(mlflow_server.uri).snapshot()
    assert calls and snap.requests == len(calls)
    assert all(path.endswith("/search") for _, path in calls), calls
    assert {m for m, _ in calls} <= {"GET", "POST"}  # MLflow's search runs/experiments are POSTs


def test_local_store_is_opened_read_only(mlflow_server, registry_with_content, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capfd: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    """MLflow's own default store in the working directory, no server, nothing set."""
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(mlflow_server.db_path) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    before, listing = _sha(db), _listing(tmp_path)
    monkeypatch.chdir(tmp_path)
    for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(k, raising=False)
    assert main(["audit", "--registry", "--policy", "default", "--format", "json"]) == 1
    out, err = capfd.readouterr()
    assert '"registry": "sqlite:///mlflow.db"' in out and err == ""
    assert _sha(db) == before and _listing(tmp_path) == listing


@pytest.mark.parametrize("content", [b"", b"not a database at all"])
def test_a_store_that_is_not_mlflow_is_not_initialised(content: bytes, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    """MLflow creates its tables in an empty database it opens; the audit must not."""
    (tmp_path / "mlflow.db").write_bytes(content)
    listing = _listing(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "--registry", "--policy", "default",
                 "--tracking-uri", "sqlite:///mlflow.db"]) == 3
    _, err = capfd.readouterr()
    assert len(err.strip().splitlines()) == 1 and "sqlite:///mlflow.db" in err
    assert "Traceback" not in err
    assert (tmp_path / "mlflow.db").read_bytes() == content and _listing(tmp_path) == listing


def test_a_missing_store_is_never_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/sub/missing.db")
    assert main(["audit", "--registry", "--policy", "default"]) == 3
    _, err = capfd.readouterr()
    assert "no such store" in err
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    assert main(["audit", "--registry", "--policy", "default"]) == 2
    _, err = capfd.readouterr()
    assert "nothing to audit" in err
    assert os.listdir(tmp_path) == []


def test_read_only_open_leaves_no_journal_or_lock_files(tmp_path: Path,
                                                        mlflow_server) -> None:  # type: ignore[no-untyped-def]
    """A read-only open must not leave journal or lock files beside the database."""
    shutil.copy(mlflow_server.db_path, tmp_path / "copy.db")
    MlflowSource(f"sqlite:///{tmp_path / 'copy.db'}").snapshot()
    assert sorted(os.listdir(tmp_path)) == ["copy.db"]

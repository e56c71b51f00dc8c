"""The MLflow source: what it reads from a real server and a local store, and how it names them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from trackcheck.audit.mlflow_source import MlflowSource, read_only_sqlite_uri, sqlite_path
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.audit.runner import AuditError, registry_uris
from trackcheck.audit.source import masked_uri


def _mine(snap: RegistrySnapshot, *names: str) -> RegistrySnapshot:
    """The part of a snapshot of the shared registry that belongs to these models."""
    versions = [v for v in snap.versions if v.model in names]
    runs = {v.run_id for v in versions if v.run_id}
    return RegistrySnapshot(
        registry=snap.registry, models={n: m for n, m in snap.models.items() if n in names},
        versions=versions, runs={r: run for r, run in snap.runs.items() if r in runs},
        wanted_runs={r for r in snap.wanted_runs if r in runs}, requests=snap.requests)


@pytest.fixture
def lifecycle(seed):  # type: ignore[no-untyped-def]
    return make_lifecycle(seed)


def make_lifecycle(seed):  # type: ignore[no-untyped-def]
    """One model with a clean prod version, an archived+staging version from a deleted run,
    and an unaliased version whose run must not be fetched."""
    name = seed.model(tags={"team": "ml"}, description="Churn classifier")
    good = seed.run(tags={"env": "prod", "debug": "false", "mlflow.source.git.commit": "a" * 40},
                    params={"lr": "0.1"}, dataset_digest="3f2a9c")
    gone = seed.run(tags={"env": "dev"}, deleted=True)
    idle = seed.run(tags={"env": "dev"})
    v1 = seed.version(name, run_id=good, aliases=["prod"], tags={"validated": "yes"},
                      description="first")
    v2 = seed.version(name, run_id=gone, aliases=["staging", "archived"], stage="Archived")
    v3 = seed.version(name, run_id=idle)
    return name, (v1, v2, v3), (good, gone, idle)


def _check_lifecycle(snap: RegistrySnapshot, name: str, versions: tuple[int, ...],
                     runs: tuple[str, ...]) -> None:
    v1, v2, v3 = versions
    good, gone, idle = runs
    model = snap.models[name]
    assert model.aliases == {"prod": v1, "staging": v2, "archived": v2}
    assert model.tags == {"team": "ml"} and model.description == "Churn classifier"
    got = {v.version: v for v in snap.versions}
    assert sorted(got) == [v1, v2, v3] and all(isinstance(n, int) for n in got)
    assert got[v1].aliases == ("prod",) and got[v1].tags == {"validated": "yes"}
    assert got[v1].description == "first" and got[v1].run_id == good
    assert got[v1].status == "READY" and got[v1].stage == "None"
    assert got[v1].source == "s3://bucket/model"
    assert got[v2].aliases == ("archived", "staging") and got[v2].stage == "Archived"
    assert got[v3].aliases == () and got[v3].run_id == idle
    # only the runs of aliased versions are looked up; a deleted run is seen as deleted
    assert snap.wanted_runs == {good, gone}
    assert set(snap.runs) == {good, gone}
    run = snap.runs[good]
    assert run.status == "FINISHED" and run.lifecycle_stage == "active"
    assert run.tags["env"] == "prod" and run.params == {"lr": "0.1"}
    assert [(d.name, d.digest) for d in run.datasets] == [("train", "3f2a9c")]
    assert snap.runs[gone].lifecycle_stage == "deleted"


def test_reads_a_real_server(live_server, live_seed) -> None:  # type: ignore[no-untyped-def]
    """On SQLite and PostgreSQL backends."""
    mlflow_server = live_server
    name, versions, runs = make_lifecycle(live_seed)
    snap = MlflowSource(mlflow_server.uri).snapshot()
    assert snap.registry == mlflow_server.uri
    _check_lifecycle(_mine(snap, name), name, versions, runs)
    assert 4 <= snap.requests <= 6  # models, versions, experiments, runs: one page each


def test_reads_a_local_sqlite_store(mlflow_server, lifecycle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Without a server, through MLflow's SQL store (version numbers arrive as ints there)."""
    name, versions, runs = lifecycle
    copy = tmp_path / "mlflow.db"
    with sqlite3.connect(mlflow_server.db_path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    snap = MlflowSource(f"sqlite:///{copy}").snapshot()
    _check_lifecycle(_mine(snap, name), name, versions, runs)
    assert snap.requests >= 4  # store calls, counted like requests


def test_progress_reports_counts(mlflow_server, lifecycle) -> None:  # type: ignore[no-untyped-def]
    said: list[str] = []
    MlflowSource(mlflow_server.uri).snapshot(said.append)
    assert said and said[0].startswith("models ")
    assert any("runs " in s for s in said)


@pytest.mark.parametrize(("uri", "shown"), [
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("https://mlflow.example.com/", "https://mlflow.example.com/"),
    ("https://alice:hunter2hunter2@mlflow.example.com", "https://alice:****@mlflow.example.com"),
    ("https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@mlflow.example.com",
     "https://****@mlflow.example.com"),
    ("https://mlflow.example.com/api?token=dapi0123456789abcdef", "https://mlflow.example.com/api"),
    ("postgresql://mlflow:pw-for-db@db:5432/mlflow", "postgresql://mlflow:****@db:5432/mlflow"),
    ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
    ("databricks", "databricks"),
    ("databricks://prod-profile", "databricks://prod-profile"),
    ("alice:hunter2hunter2@mlflow.example.com:5000", "alice:****@mlflow.example.com:5000"),
    ("alice:p@ss/w#rd@mlflow.example.com:5000/x?token=y", "alice:****@mlflow.example.com:5000/x"),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123456789@mlflow.example.com", "****@mlflow.example.com"),
    ("http://alice:p@ss@[::1]:5000/", "http://alice:****@[::1]:5000/"),
])
def test_masked_uri(uri: str, shown: str) -> None:
    assert masked_uri(uri) == shown


@pytest.mark.parametrize(("flag", "env", "local", "expected"), [
    ("http://127.0.0.1:5000", {"MLFLOW_TRACKING_URI": "http://other"}, True,
     ("http://127.0.0.1:5000", "http://127.0.0.1:5000")),
    (None, {"MLFLOW_TRACKING_URI": "http://t"}, True, ("http://t", "http://t")),
    (None, {"MLFLOW_TRACKING_URI": "http://t", "MLFLOW_REGISTRY_URI": "http://r"}, False,
     ("http://t", "http://r")),
    (None, {"MLFLOW_REGISTRY_URI": "http://r"}, False, ("http://r", "http://r")),
    (None, {"MLFLOW_REGISTRY_URI": "http://r"}, True, ("sqlite:///mlflow.db", "http://r")),
    (None, {}, True, ("sqlite:///mlflow.db", "sqlite:///mlflow.db")),
    (None, {"MLFLOW_TRACKING_URI": "  "}, True, ("sqlite:///mlflow.db", "sqlite:///mlflow.db")),
])
def test_which_registry(flag, env, local, expected, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if local:
        (tmp_path / "mlflow.db").write_bytes(b"")
    assert registry_uris(flag, env, tmp_path) == expected


def test_nothing_to_audit(tmp_path: Path) -> None:
    with pytest.raises(AuditError) as e:
        registry_uris(None, {}, tmp_path)
    assert e.value.exit_code == 2 and "nothing to audit" in str(e.value)
    (tmp_path / "mlruns").mkdir()  # an old file store is not MLflow's default any more
    with pytest.raises(AuditError):
        registry_uris(None, {}, tmp_path)


def test_sqlite_uris(tmp_path: Path) -> None:
    assert sqlite_path("sqlite:///mlflow.db") == Path("mlflow.db")
    assert sqlite_path("sqlite:////abs/x.db") == Path("/abs/x.db")
    assert sqlite_path("sqlite:///:memory:") is None and sqlite_path("http://x") is None
    odd = tmp_path / "a dir?#" / "mlflow.db"
    uri = read_only_sqlite_uri(odd)
    assert uri.endswith("?mode=ro&uri=true") and "/" not in uri[len("sqlite:///"):]


_WRAPPER = textwrap.dedent("""
    import atexit, json, os, socket, sys
    seen = []
    atexit.register(lambda: json.dump(seen, open(os.environ["CONNECT_LOG"], "w")))
    _connect, _gai = socket.socket.connect, socket.getaddrinfo
    def connect(self, addr):
        seen.append(str(addr[0]) if isinstance(addr, tuple) else str(addr))
        return _connect(self, addr)
    def gai(host, *a, **k):
        seen.append(str(host))
        return _gai(host, *a, **k)
    socket.socket.connect, socket.getaddrinfo = connect, gai
    if sys.argv[1] == "raw":  # MLflow's client alone, as a user's script would use it
        from mlflow import MlflowClient
        MlflowClient(sys.argv[2]).search_registered_models()
    else:
        from trackcheck.cli import main
        sys.exit(main(sys.argv[2:]))
""")


def _traced(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str], Path]:
    home = tmp_path / args[0]
    home.mkdir()
    log = home / "connects.json"
    # a user's shell: no CI or test markers that would switch MLflow's telemetry off by itself
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "CONNECT_LOG": str(log)}
    p = subprocess.run([sys.executable, "-c", _WRAPPER, *args], cwd=home, env=env,
                       capture_output=True, text=True, timeout=120)
    return p, json.loads(log.read_text()), home


def test_no_request_to_any_other_host(mlflow_server, lifecycle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p, hosts, home = _traced(tmp_path, "trackcheck", "audit", "--registry", "--policy", "default",
                             "--tracking-uri", mlflow_server.uri)
    assert p.returncode in (0, 1), p.stderr
    assert hosts and set(hosts) == {"127.0.0.1"}
    assert not (home / ".config" / "mlflow").exists()  # no telemetry installation id written
    # the control: MLflow's client alone switches telemetry on and writes its id to $HOME
    _, _, raw_home = _traced(tmp_path, "raw", mlflow_server.uri)
    assert (raw_home / ".config" / "mlflow").exists()

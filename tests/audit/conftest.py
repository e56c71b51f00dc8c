"""A real ``mlflow server`` for the registry tests, started once per session, and ways to seed it.

Fixtures:

``mlflow_server`` (session)
    A live server on 127.0.0.1 with a SQLite backend in a temporary directory. Attributes:
    ``.uri`` (``http://127.0.0.1:<port>``), ``.db_path`` (the backend ``mlflow.db``),
    ``.backend`` (its store URI), ``.pid`` (the process-group leader, stopped by PID at
    session end), ``.root``.
``postgres`` (session)
    A PostgreSQL 15 cluster in a temporary directory on 127.0.0.1 (a free port), started by
    PID with ``postgres`` itself (as an unprivileged user when the tests run as root: initdb
    refuses root) and stopped by PID; ``.uri`` names its ``mlflow`` database.
``mlflow_server_pg`` (session)
    A second live server, backed by that database (``.db_path`` is None).
``live_server`` (session, parametrized ``sqlite``/``postgresql``)
    Either server: a test or fixture that takes it runs once per backend.
``mlflow_client`` (session)
    An ``MlflowClient`` bound to the SQLite server (tracking and registry URI).
``seed`` (function)
    A :class:`Seeder`: ``seed.model(...)``, ``seed.run(...)``, ``seed.version(...)``,
    ``seed.set_status(...)``, ``seed.name(prefix)`` (a model name unique in the session,
    since every test shares one registry). ``live_seed``: the same for ``live_server``.
``run_audit`` (function)
    ``run_audit(*args, env=None)`` runs ``trackcheck audit --registry`` against the server
    in a fresh process and returns the ``subprocess.CompletedProcess``.
``audit_report`` (function)
    ``audit_report(policy=None, select=("TC2",), config=None)`` runs the audit in-process
    and returns the ``trackcheck.engine.Report`` (``report.findings`` for all models:
    filter by ``f.path.startswith("models:/<name>")``).

A test registers its own uniquely named models and looks only at findings for those names,
so tests stay independent of each other and of their order.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

HEALTH_TIMEOUT = 90.0  # seconds; the server took 8–19 s to become healthy on a 2-core machine


@dataclass(frozen=True)
class MlflowServer:
    uri: str
    db_path: Path | None  # the SQLite file, None for another backend
    pid: int
    root: Path
    backend: str = ""  # the backend store URI the server was started with


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """Stop the server's process group (uvicorn and its job runner), by the PID we started."""
    pgid = proc.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=10)
    deadline = time.monotonic() + 5  # the leader is reaped; its children may linger briefly
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _group_alive(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def start_server(root: Path, timeout: float = HEALTH_TIMEOUT, backend: str | None = None, *,
                 app: str | None = None, workers: int = 1,
                 env: Mapping[str, str] | None = None) -> tuple[MlflowServer, subprocess.Popen]:
    """``mlflow server`` (or ``--app-name app``, e.g. the trackcheck guard) on 127.0.0.1, healthy
    before it is returned; the caller stops it with :func:`_stop`."""
    port = free_port()
    db = root / "mlflow.db"
    backend = backend or f"sqlite:///{db}"
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", **(env or {})}
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    cmd = [str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(port),
           "--backend-store-uri", backend,
           "--default-artifact-root", str(root / "artifacts"), "--workers", str(workers),
           *(["--app-name", app] if app else [])]
    log = open(root / "server.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log.close()
            tail = (root / "server.log").read_text()[-3000:]
            raise RuntimeError(f"mlflow server exited early:\n{tail}")
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            _stop(proc)
            log.close()
            raise RuntimeError(f"mlflow server not healthy after {timeout:.0f}s")
        time.sleep(0.2)
    db_path = db if backend.startswith("sqlite:") else None
    return MlflowServer(uri=uri, db_path=db_path, pid=proc.pid, root=root, backend=backend), proc


@pytest.fixture(scope="session")
def mlflow_server() -> Iterator[MlflowServer]:
    root = Path(tempfile.mkdtemp(prefix="tc-mlflow-"))
    server, proc = start_server(root)
    try:
        yield server
    finally:
        _stop(proc)


# --- PostgreSQL -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Postgres:
    uri: str  # postgresql://mlflow@127.0.0.1:<port>/mlflow
    pid: int
    root: Path


def pg_bin(name: str) -> str:
    """A PostgreSQL server program: on PATH, else Debian's versioned directory."""
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / name).is_file():
            return str(d / name)
    raise RuntimeError(f"PostgreSQL's {name} not found: install PostgreSQL 15 (Debian: "
                       "apt-get install postgresql; `make setup` does it as root)")


def _as_owner(root: Path) -> list[str]:
    """initdb and postgres refuse to run as root: under root, run them as 'nobody', the owner of
    their temporary directory (setpriv is util-linux, on every Debian system)."""
    if os.geteuid() != 0:
        return []
    import pwd

    nobody = pwd.getpwnam("nobody")
    os.chown(root, nobody.pw_uid, nobody.pw_gid)
    return [shutil.which("setpriv") or "setpriv", f"--reuid={nobody.pw_uid}",
            f"--regid={nobody.pw_gid}", "--clear-groups"]


def start_postgres(root: Path, timeout: float = 60.0) -> tuple[Postgres, subprocess.Popen]:
    """A throwaway cluster: initdb (trust on loopback only), then the postmaster itself in the
    foreground of its own session, so that the PID we hold is the server's."""
    import psycopg

    prefix = _as_owner(root)
    data = root / "data"
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
    subprocess.run([*prefix, pg_bin("initdb"), "-D", str(data), "-U", "mlflow", "-A", "trust",
                    "-E", "UTF8", "--locale=C.UTF-8"], env=env, check=True,
                   capture_output=True, timeout=120)
    port = free_port()
    log = open(root / "postgres.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([*prefix, pg_bin("postgres"), "-D", str(data), "-h", "127.0.0.1",
                             "-p", str(port), "-k", str(root), "-F"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = psycopg.connect(host="127.0.0.1", port=port, user="mlflow",
                                   dbname="postgres", connect_timeout=2, autocommit=True)
            break
        except psycopg.OperationalError:
            if proc.poll() is not None or time.monotonic() > deadline:
                _stop_postgres(proc)
                log.close()
                raise RuntimeError("postgres did not start:\n"
                                   + (root / "postgres.log").read_text()[-3000:]) from None
            time.sleep(0.1)
    with conn:
        conn.execute("CREATE DATABASE mlflow")
    return Postgres(uri=f"postgresql://mlflow@127.0.0.1:{port}/mlflow", pid=proc.pid,
                    root=root), proc


def _stop_postgres(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """Fast shutdown (SIGINT) by the postmaster's PID; it takes its children with it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    root = Path(tempfile.mkdtemp(prefix="tc-postgres-"))
    pg, proc = start_postgres(root)
    try:
        yield pg
    finally:
        _stop_postgres(proc)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def mlflow_server_pg(postgres: Postgres) -> Iterator[MlflowServer]:
    root = Path(tempfile.mkdtemp(prefix="tc-mlflow-pg-"))
    server, proc = start_server(root, backend=postgres.uri)
    try:
        yield server
    finally:
        _stop(proc)


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request: pytest.FixtureRequest) -> MlflowServer:
    """The SQLite-backed server, then the PostgreSQL-backed one."""
    name = "mlflow_server" if request.param == "sqlite" else "mlflow_server_pg"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


def client_for(server: MlflowServer) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=server.uri, registry_uri=server.uri)


@pytest.fixture(scope="session")
def mlflow_client(mlflow_server: MlflowServer) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.uri, registry_uri=mlflow_server.uri)


_names = itertools.count(1)


class Seeder:
    """Create registry state through the real client (writes go to the test server only)."""

    def __init__(self, client: Any, server: MlflowServer):
        self.client = client
        self.server = server
        self._experiment: str | None = None

    def name(self, prefix: str = "model") -> str:
        return f"{prefix}-{os.getpid()}-{next(_names)}"

    def experiment(self) -> str:
        if self._experiment is None:
            name = self.name("exp")
            self._experiment = self.client.create_experiment(name)
        return self._experiment

    def run(self, *, tags: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None,
            dataset_digest: str | None = None, dataset_name: str = "train",
            status: str | None = "FINISHED", deleted: bool = False) -> str:
        """A run with tags, params and optionally one dataset input; ``status=None``: RUNNING."""
        from mlflow.entities import Dataset, DatasetInput

        run = self.client.create_run(self.experiment(), tags=dict(tags or {}))
        rid = run.info.run_id
        for k, v in (params or {}).items():
            self.client.log_param(rid, k, v)
        if dataset_digest is not None:
            ds = Dataset(name=dataset_name, digest=dataset_digest, source_type="local",
                         source='{"uri": "data/train.csv"}')
            self.client.log_inputs(rid, datasets=[DatasetInput(ds)])
        if status is not None:
            self.client.set_terminated(rid, status=status)
        if deleted:
            self.client.delete_run(rid)
        return rid

    def model(self, name: str | None = None, *, tags: Mapping[str, str] | None = None,
              description: str | None = None) -> str:
        name = name or self.name()
        self.client.create_registered_model(name, tags=dict(tags or {}), description=description)
        return name

    def version(self, model: str, *, run_id: str | None = None, aliases: Iterable[str] = (),
                tags: Mapping[str, str] | None = None, description: str | None = None,
                stage: str | None = None, source: str = "s3://bucket/model") -> int:
        """Register a version (no artifacts needed), point ``aliases`` at it; return its number."""
        mv = self.client.create_model_version(model, source=source, run_id=run_id,
                                              tags=dict(tags or {}), description=description,
                                              await_creation_for=0)
        number = int(mv.version)
        for alias in aliases:
            self.client.set_registered_model_alias(model, alias, str(number))
        if stage is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # seeds the deprecated stage TC203 audits, hence the suppression
                c, n = self.client, str(number)
                c.transition_model_version_stage(model, n, stage)  # trackcheck: ignore[TC133]
        return number

    def set_status(self, model: str, version: int, status: str) -> None:
        """Force a version's status (the server sets READY at once): a direct write to the DB."""
        import sqlalchemy

        engine = sqlalchemy.create_engine(self.server.backend)
        try:
            with engine.begin() as db:
                db.execute(sqlalchemy.text("UPDATE model_versions SET status=:s WHERE name=:n "
                                           "AND version=:v"), {"s": status, "n": model,
                                                               "v": version})
        finally:
            engine.dispose()


@pytest.fixture
def seed(mlflow_client: Any, mlflow_server: MlflowServer) -> Seeder:
    return Seeder(mlflow_client, mlflow_server)


@pytest.fixture
def live_seed(live_server: MlflowServer) -> Seeder:
    """A :class:`Seeder` for ``live_server``: the test runs once per backend."""
    return Seeder(client_for(live_server), live_server)


def _audit_env(server: MlflowServer, env: Mapping[str, str] | None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    out.update({"MLFLOW_TRACKING_URI": server.uri, "MLFLOW_DISABLE_TELEMETRY": "true"})
    out.update(env or {})
    return out


@pytest.fixture
def run_audit(mlflow_server: MlflowServer, tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "trackcheck", "audit", "--registry", *args]
        return subprocess.run(cmd, cwd=cwd or tmp_path, env=_audit_env(mlflow_server, env),
                              capture_output=True, text=True, timeout=timeout)

    return run


@pytest.fixture
def audit_report(mlflow_server: MlflowServer):  # type: ignore[no-untyped-def]
    from argparse import Namespace

    from trackcheck.engine import Selection
    from trackcheck.policy import load_policy

    def run(policy: Any = None, select: tuple[str, ...] = ("TC2",),
            config: list[str] | None = None) -> Any:
        from trackcheck.audit.runner import audit

        args = Namespace(registry=True, tracking_uri=mlflow_server.uri, config=config, timeout=10.0)
        return audit(args, policy or load_policy("default")[0], Selection(select=select))

    return run

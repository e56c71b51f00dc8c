"""Real ``mlflow server --app-name trackcheck`` processes for the guard tests.

``guard_server`` (session): the guard in front of a SQLite store, two uvicorn workers (so that
concurrent writes really land in different processes), judging by ``POLICY`` below; actors come
from the ``X-Test-User`` header. ``auth_server`` (session): ``--app-name trackcheck-basic-auth``,
MLflow's basic-auth in front of the guard, ``prod`` protected for ``alice``. Both are stopped by
the PID the fixture started, at the end of the session.

``registry`` (function): a :class:`Registry` on the guard server: a client, a unique model
name, healthy runs (every required tag, lineage, a dataset digest) and failed ones, and raw
HTTP writes for the UI's ``/ajax-api`` routes and the actor header.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.audit.conftest import MlflowServer, _stop, start_server

POLICY = """\
aliases:
  allowed: [dev, staging, prod, archived, canary]
guard:
  actor_header: X-Test-User
  protected_aliases: {canary: [alice]}
  rules: {TC206: observe}
"""
AUTH_POLICY = "guard:\n  protected_aliases: {prod: [alice]}\n  rules: {TC301: observe}\n"
ADMIN_PASSWORD = "Adm1n-pass-for-tests-only"
PASSWORDS = {"alice": "Al1ce-pass-for-tests", "bob": "B0b-pass-for-tests-only"}
GOOD_TAGS = {"project": "churn", "env": "prod", "model_name": "xgb", "data_name": "churn-2024",
             "debug": "false", "mlflow.source.git.commit": "9f2c1e0"}


GuardServer = MlflowServer


def start_guard(root: Path, app: str, policy: str, workers: int = 1,
                env: Mapping[str, str] | None = None) -> tuple[GuardServer, subprocess.Popen]:
    (root / "policy.yaml").write_text(policy, "utf-8")
    return start_server(root, app=app, workers=workers,
                        env={"TRACKCHECK_POLICY": str(root / "policy.yaml"), **(env or {})})


@pytest.fixture(scope="session")
def guard_server() -> Iterator[GuardServer]:
    root = Path(tempfile.mkdtemp(prefix="tc-guard-"))
    server, proc = start_guard(root, "trackcheck", POLICY, workers=2)
    try:
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def auth_server() -> Iterator[GuardServer]:
    root = Path(tempfile.mkdtemp(prefix="tc-guard-auth-"))
    (root / "basic_auth.ini").write_text(
        "[mlflow]\ndefault_permission = EDIT\n"
        f"database_uri = sqlite:///{root / 'basic_auth.db'}\nadmin_username = admin\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        "auth_cache_ttl_seconds = 300\n", "utf-8")  # one password hash per user, not per request
    env = {"MLFLOW_AUTH_CONFIG_PATH": str(root / "basic_auth.ini"),
           "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "MLFLOW_FLASK_SERVER_SECRET_KEY": "trackcheck-tests-secret-key"}
    server, proc = start_guard(root, "trackcheck-basic-auth", AUTH_POLICY, env=env)
    try:
        for user, password in PASSWORDS.items():
            http(server.uri, "POST", "/api/2.0/mlflow/users/create",
                 {"username": user, "password": password}, auth=("admin", ADMIN_PASSWORD))
        yield server
    finally:
        _stop(proc)


def http(uri: str, method: str, path: str, body: Mapping[str, Any] | None = None, *,
         headers: Mapping[str, str] | None = None, auth: tuple[str, str] | None = None,
         params: str = "") -> tuple[int, dict[str, Any]]:
    """One raw request (as the UI sends them): status and JSON body."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{uri}{path}{params}", data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw or b"{}")
        except ValueError:
            return e.code, {"raw": raw.decode("utf-8", "replace")}


_names = itertools.count(1)


class Registry:
    """Seeds and reads the registry behind a guard server through MLflow's own client."""

    def __init__(self, server: GuardServer, client: Any, auth: tuple[str, str] | None = None):
        self.server = server
        self.client = client
        self.auth = auth  # basic-auth credentials for reading the ledger
        self.model = f"churn-{os.getpid()}-{next(_names)}"
        self._experiment: str | None = None

    def run(self, status: str = "FINISHED", **tags: str) -> str:
        from mlflow.entities import Dataset, DatasetInput

        if self._experiment is None:
            self._experiment = self.client.create_experiment(f"exp-{self.model}")
        rid = self.client.create_run(self._experiment, tags={**GOOD_TAGS, **tags}).info.run_id
        ds = Dataset(name="churn-2024", digest="3f2a9c", source_type="local",
                     source='{"uri": "data/train.csv"}')
        self.client.log_inputs(rid, datasets=[DatasetInput(ds)])
        self.client.set_terminated(rid, status=status)
        return rid

    def version(self, run_id: str | None = None) -> str:
        if not self._model_exists():
            self.client.create_registered_model(self.model)
        mv = self.client.create_model_version(self.model, source="s3://bucket/model",
                                              run_id=run_id or self.run(), await_creation_for=0)
        return str(mv.version)

    def _model_exists(self) -> bool:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.model)
            return True
        except MlflowException:
            return False

    def aliases(self, name: str | None = None) -> dict[str, int]:
        rm = self.client.get_registered_model(name or self.model)
        return {a: int(v) for a, v in (rm.aliases or {}).items()}

    def ledger(self, **params: str) -> list[dict[str, Any]]:
        query = "&".join(f"{k}={v}" for k, v in {"model": self.model, **params}.items())
        status, body = http(self.server.uri, "GET", "/api/2.0/trackcheck/ledger",
                            params=f"?{query}&max_results=1000", auth=self.auth)
        assert status == 200, body
        return list(body["entries"])


def client_for(uri: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


@pytest.fixture
def registry(guard_server: GuardServer, monkeypatch: pytest.MonkeyPatch) -> Registry:
    # a refusal must surface at once, not after MLflow's client retries
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    return Registry(guard_server, client_for(guard_server.uri))

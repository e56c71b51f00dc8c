"""Benchmark: trackcheck's audit against a naive per-version walk of a real MLflow server.

Seeds 2,000 model versions across 100 registered models (each version with its own finished
run; aliases ``dev``/``staging``/``prod``/``archived`` on a fifth of the versions), serves them
with a real ``mlflow server`` on 127.0.0.1, then in the same run times

* the trackcheck audit (paged searches, batched run look-ups, all TC2xx rules), and
* a naive walk: one ``get_model_version`` and one ``get_run`` per version,

counting the HTTP requests of each. Prints the figures; asserts nothing.

    python benchmarks/audit_registry.py [--models 100] [--versions-per-model 20]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")

ALIASES = ("dev", "staging", "prod", "archived")


def seed(db: Path, models: int, per_model: int) -> None:
    """Write the registry straight into the SQLite store (faster than through a server)."""
    from mlflow import MlflowClient
    from mlflow.entities import Dataset, DatasetInput

    client = MlflowClient(f"sqlite:///{db}")
    exp = client.create_experiment("bench", artifact_location=(db.parent / "artifacts").as_uri())
    step = per_model // len(ALIASES)  # four aliased versions per 20: a fifth
    for m in range(models):
        name = f"model-{m:03d}"
        client.create_registered_model(name, tags={"team": "ml"})
        for v in range(1, per_model + 1):
            alias = ALIASES[v // step - 1] if step and v % step == 0 else None
            run = client.create_run(exp, tags={"project": "bench", "env": "prod", "debug": "false",
                                               "model_name": name, "data_name": "d",
                                               "mlflow.source.git.commit": f"{m:04d}{v:036d}"})
            rid = run.info.run_id
            if alias:
                ds = Dataset(name="d", digest=f"{m:04x}{v:04x}", source_type="local", source="x")
                client.log_inputs(rid, datasets=[DatasetInput(ds)])
            client.set_terminated(rid, "FINISHED")
            client.create_model_version(name, source=f"s3://bench/{name}/{v}", run_id=rid,
                                        await_creation_for=0)
            if alias:
                client.set_registered_model_alias(name, alias, str(v))
        if (m + 1) % 10 == 0:
            print(f"  seeded {m + 1}/{models} models", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(db: Path, app: str | None = None,  # type: ignore[no-untyped-def]
           env: dict[str, str] | None = None):
    port = free_port()
    cmd = [str(Path(sys.executable).with_name("mlflow")), "server", "--host", "127.0.0.1",
           "--port", str(port), "--backend-store-uri", f"sqlite:///{db}",
           "--default-artifact-root", str(db.parent / "artifacts"), "--workers", "1",
           *(["--app-name", app] if app else [])]
    log = open(db.parent / f"server-{app or 'mlflow'}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, **(env or {})})
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("mlflow server did not start") from None
                time.sleep(0.2)
        yield uri
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@contextmanager
def counting():  # type: ignore[no-untyped-def]
    import requests

    box = {"n": 0}
    original = requests.Session.send

    def send(self, request, **kw):  # type: ignore[no-untyped-def]
        box["n"] += 1
        return original(self, request, **kw)

    requests.Session.send = send  # type: ignore[method-assign]
    try:
        yield box
    finally:
        requests.Session.send = original  # type: ignore[method-assign]


def trackcheck_audit(uri: str) -> tuple[float, int, int, int]:
    from trackcheck.audit.runner import check, read_registry
    from trackcheck.engine import Selection
    from trackcheck.policy import load_policy

    policy = load_policy("default")[0]
    with counting() as box:
        start = time.perf_counter()
        snap = read_registry(uri, uri, timeout=30)
        report = check(snap, policy, Selection(select=("TC2",)))
        elapsed = time.perf_counter() - start
    assert snap.requests == box["n"]
    return elapsed, box["n"], len(snap.versions), len(report.findings)


def naive_walk(uri: str) -> tuple[float, int, int]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    with counting() as box:
        start = time.perf_counter()
        listed, token = [], None
        while True:  # even the naive walk lists the versions with a paged search
            page = client.search_model_versions(max_results=10_000, page_token=token)
            listed += [(v.name, v.version) for v in page]
            token = page.token
            if not token:
                break
        for name, number in listed:  # then asks for each version and its run, one by one
            mv = client.get_model_version(name, str(number))
            if mv.run_id:
                client.get_run(mv.run_id)
        versions = len(listed)
        elapsed = time.perf_counter() - start
    return elapsed, box["n"], versions


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--versions-per-model", type=int, default=20)
    args = ap.parse_args()
    import logging

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    root = Path(tempfile.mkdtemp(prefix="tc-bench-"))
    db = root / "mlflow.db"
    total = args.models * args.versions_per_model
    print(f"seeding {total} versions across {args.models} models ...", file=sys.stderr)
    t = time.perf_counter()
    seed(db, args.models, args.versions_per_model)
    print(f"  seeded in {time.perf_counter() - t:.0f}s; starting mlflow server ...",
          file=sys.stderr)
    with server(db) as uri:
        from mlflow import MlflowClient

        # warm up: a fresh server loads each endpoint's code on its first call
        trackcheck_audit(uri)
        warm = MlflowClient(tracking_uri=uri, registry_uri=uri)
        first = warm.get_model_version("model-000", "1")
        warm.get_run(first.run_id)

        # the machine may be shared: the audit's figure is the median of three runs
        runs = [trackcheck_audit(uri) for _ in range(3)]
        a_times = sorted(r[0] for r in runs)
        a_time, a_req, a_versions, findings = a_times[1], *runs[0][1:]
        n_time, n_req, n_versions = naive_walk(uri)
    aliased = args.models * min(len(ALIASES), args.versions_per_model)
    print(f"\nregistry: {args.models} models, {a_versions} versions ({aliased} aliased), "
          "real mlflow server on 127.0.0.1, SQLite backend")
    print(f"{'':28}{'requests':>10}{'seconds':>10}")
    print(f"{'trackcheck audit':28}{a_req:>10}{a_time:>10.2f}   ({findings} findings; "
          f"median of {', '.join(f'{t:.2f}' for t in a_times)} s)")
    print(f"{'naive walk (get per version)':28}{n_req:>10}{n_time:>10.2f}   "
          f"({n_versions} versions)")
    print(f"{'ratio':28}{n_req / max(a_req, 1):>9.0f}x{n_time / max(a_time, 1e-9):>9.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

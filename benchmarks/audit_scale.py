"""Benchmark: the registry audit at platform scale, on a real PostgreSQL-backed ``mlflow server``.

For each size (default 10,000 and 100,000 versions, 50 per model: 200 and 2,000 models) it

1. starts a throwaway PostgreSQL 15 cluster on 127.0.0.1 (the test suite's own fixture code),
   creates a database and MLflow's schema with ``mlflow db upgrade``;
2. seeds it straight into MLflow's tables with ``COPY`` (minutes through the REST API become
   seconds): every version with a source run; ``prod``, ``staging``, ``dev`` and ``archived``
   on four versions of each model, their runs tagged and with a dataset input that has a
   digest; a few planted findings (``archived`` with ``prod``, a deprecated stage);
3. serves it with a real ``mlflow server`` and runs, each in a fresh process,
   * the audit as ``trackcheck audit --registry`` runs it (streamed: judged one model at a time),
   * the same registry read whole into one snapshot, then judged (the 0.1 way),
   * a process that only imports mlflow and trackcheck (the floor of any audit's memory),

   printing requests, wall time and peak RSS of each (after one untimed audit that warms the
   database's caches). Asserts nothing.

    python benchmarks/audit_scale.py [--sizes 10000 100000] [--per-model 50]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"

from tests.audit.conftest import (  # noqa: E402 - the fixture code, shared with the tests
    _stop,
    _stop_postgres,
    start_postgres,
    start_server,
)

ALIASES = ("prod", "staging", "dev", "archived")  # on the last four versions of each model
T0 = 1_700_000_000_000  # milliseconds

PROBE = """
import json, resource, sys, time
from argparse import Namespace
mode, uri = sys.argv[1], sys.argv[2]
start = time.perf_counter()
from trackcheck.engine import Selection
from trackcheck.policy import load_policy
policy = load_policy("default")[0]
out = {}
if mode == "import":
    from trackcheck.audit.mlflow_source import import_mlflow
    import_mlflow()
elif mode == "streamed":
    from trackcheck.audit.runner import audit
    args = Namespace(registry=True, tracking_uri=uri, config=None, timeout=120.0,
                     deadline=3600.0)
    report = audit(args, policy, Selection(select=("TC2",)))
    out = {"requests": report.summary["requests"], "versions": report.summary["versions"],
           "findings": len(report.findings)}
else:
    from trackcheck.audit.runner import check, read_registry
    snap = read_registry(uri, uri, 120.0, 3600.0, policy)
    report = check(snap, policy, Selection(select=("TC2",)))
    out = {"requests": snap.requests, "versions": len(snap.versions),
           "findings": len(report.findings)}
out["wall"] = time.perf_counter() - start
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def _mlflow(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).with_name("mlflow")), *args], check=True,
                   capture_output=True, timeout=600)


def seed(uri: str, versions: int, per_model: int) -> dict[str, int]:
    """Write the registry into MLflow's own tables (after ``mlflow db upgrade``)."""
    import psycopg

    models = versions // per_model
    counts = {"models": models, "versions": models * per_model, "runs": 0, "aliases": 0}
    with psycopg.connect(uri) as db, db.cursor() as cur:
        cur.execute("INSERT INTO experiments (experiment_id, name, artifact_location, "
                    "lifecycle_stage, creation_time, last_update_time) VALUES "
                    "(0, 'Default', 'mlflow-artifacts:/0', 'active', %s, %s), "
                    "(1, 'bench', 'mlflow-artifacts:/1', 'active', %s, %s)", (T0,) * 4)
        cur.execute("SELECT setval('experiments_experiment_id_seq', 2)")
        runs, tags, datasets, inputs, mvs, aliases, mtags = [], [], [], [], [], [], []
        for m in range(models):
            name = f"model-{m:05d}"
            mtags.append(("team", "ml", name))
            amap = {a: max(1, per_model - i) for i, a in enumerate(ALIASES)}
            if m % 100 == 3:  # planted: archived and prod on one version (TC201)
                amap["archived"] = amap["prod"]
            if m % 100 == 5:  # planted: an alias outside the policy (TC202)
                amap["champion"] = amap["staging"]
            aliases += [(a, v, name) for a, v in amap.items()]
            for v in range(1, per_model + 1):
                rid = uuid.uuid4().hex
                runs.append((rid, f"run-{m}-{v}", "LOCAL", "train.py", "", "bench", "FINISHED",
                             T0, T0 + 1000, "", "active", f"mlflow-artifacts:/1/{rid}", 1))
                tags.append(("mlflow.source.git.commit", f"{m:08x}{v:032x}", rid))
                if v in amap.values():
                    for k, val in (("project", "bench"), ("env", "prod"), ("debug", "false"),
                                   ("model_name", name), ("data_name", "d")):
                        tags.append((k, val, rid))
                    ds = uuid.uuid4().hex
                    datasets.append((ds, 1, "d", f"{m:04x}{v:04x}", "local", '{"uri": "d"}'))
                    inputs.append((uuid.uuid4().hex, "DATASET", ds, "RUN", rid))
                stage = "Production" if (m % 50 == 7 and v == 1) else "None"  # TC203
                mvs.append((name, v, T0 + v, T0 + v, None, "bench", stage,
                            f"s3://bench/{name}/{v}", rid, "READY"))
        counts["runs"], counts["aliases"] = len(runs), len(aliases)
        copies = [
            ("runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
             "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)",
             runs),
            ("tags (key, value, run_uuid)", tags),
            ("datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, "
             "dataset_source)", datasets),
            ("inputs (input_uuid, source_type, source_id, destination_type, destination_id)",
             inputs),
            ("registered_models (name, creation_time, last_updated_time)",
             [(f"model-{m:05d}", T0, T0) for m in range(models)]),
            ("registered_model_tags (key, value, name)", mtags),
            ("model_versions (name, version, creation_time, last_updated_time, description, "
             "user_id, current_stage, source, run_id, status)", mvs),
            ("registered_model_aliases (alias, version, name)", aliases),
        ]
        for table, rows in copies:
            with cur.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    return counts


def probe(mode: str, uri: str) -> dict[str, float]:
    p = subprocess.run([sys.executable, "-c", PROBE, mode, uri], capture_output=True, text=True,
                       timeout=3600, env={**os.environ, "PYTHONPATH": os.environ.get(
                           "PYTHONPATH", str(REPO / "src"))})
    if p.returncode not in (0, 1) or not p.stdout.strip():
        raise RuntimeError(f"{mode} probe failed ({p.returncode}): {p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(versions: int, per_model: int) -> list[str]:
    root = Path(tempfile.mkdtemp(prefix="tc-scale-"))
    pg, pg_proc = start_postgres(Path(tempfile.mkdtemp(prefix="tc-scale-pg-")))
    server_proc = None
    try:
        start = time.perf_counter()
        _mlflow("db", "upgrade", pg.uri)
        counts = seed(pg.uri, versions, per_model)
        seeded = time.perf_counter() - start
        (root / "srv").mkdir()
        server, server_proc = start_server(root / "srv", timeout=300, backend=pg.uri)
        print(f"  seeded {counts['models']:,} models, {counts['versions']:,} versions, "
              f"{counts['runs']:,} runs, {counts['aliases']:,} aliases in {seeded:.0f} s",
              file=sys.stderr, flush=True)
        rows = []
        floor = probe("import", server.uri)
        probe("streamed", server.uri)  # warm-up: the database's caches, the server's first pages
        for mode in ("streamed", "whole"):
            r = probe(mode, server.uri)
            assert r["versions"] == counts["versions"], r
            rows.append(f"| {counts['versions']:,} | {counts['models']:,} | {mode} | "
                        f"{r['requests']:.0f} | {r['findings']:.0f} | {r['wall']:.1f} | "
                        f"{r['rss_mb']:.0f} | {r['rss_mb'] - floor['rss_mb']:.0f} |")
            print(rows[-1], file=sys.stderr, flush=True)
        return rows
    finally:
        if server_proc is not None:
            _stop(server_proc)
        _stop_postgres(pg_proc)
        shutil.rmtree(pg.root, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--per-model", type=int, default=50)
    args = ap.parse_args(argv)
    rows = []
    for size in args.sizes:
        print(f"{size:,} versions ...", file=sys.stderr, flush=True)
        rows += measure(size, args.per_model)
    print("| versions | models | audit | requests | findings | wall s | peak RSS MB | "
          "above import MB |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

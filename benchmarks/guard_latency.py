"""Benchmark: what the guard adds to a registry write, and to a read (must be ~0).

Seeds one SQLite registry of 100 models x 50 versions (runs with the run tags the default policy
requires; aliases on a fifth of the versions), copies it, and serves one copy with plain
``mlflow server`` and the other with ``mlflow server --app-name trackcheck``. Then, against
each, times through ``MlflowClient``:

* writes the guard judges: a version tag, and moving ``dev`` between two versions;
* reads it never touches: get a model, search a model's versions, get a version.

Both servers run at once and requests alternate between them, so that a busy machine slows
both alike. Prints median and 90th percentile per operation and the difference; asserts
nothing.

    python benchmarks/guard_latency.py [--models 100] [--versions-per-model 50] [--repeat 40]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"

from audit_registry import seed, server  # noqa: E402


def timed(fn: Callable[[int], object], repeat: int) -> list[float]:
    out = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def operations(uri: str, models: int, per_model: int) -> dict[str, Callable[[int], object]]:
    from mlflow import MlflowClient

    c = MlflowClient(tracking_uri=uri, registry_uri=uri)

    def model(i: int) -> str:
        return f"model-{i % models:03d}"

    return {
        "write: set version tag": lambda i: c.set_model_version_tag(model(i), "1", "k", str(i)),
        "write: move alias dev": lambda i: c.set_registered_model_alias(
            model(i), "dev", str(1 + i % 2)),
        "read: get model": lambda i: c.get_registered_model(model(i)),
        "read: search versions": lambda i: c.search_model_versions(f"name='{model(i)}'"),
        "read: get version": lambda i: c.get_model_version(model(i), str(1 + i % per_model)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--versions-per-model", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=40)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tc-guard-bench-"))
    try:
        (root / "plain").mkdir()
        (root / "guard").mkdir()
        t0 = time.perf_counter()
        seed(root / "plain" / "mlflow.db", args.models, args.versions_per_model)
        print(f"seeded {args.models} models x {args.versions_per_model} versions in "
              f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
        shutil.copy(root / "plain" / "mlflow.db", root / "guard" / "mlflow.db")
        results: dict[str, dict[str, list[float]]] = {}
        # both servers up at once, requests interleaved: a busy machine slows both alike
        with server(root / "plain" / "mlflow.db") as plain, \
                server(root / "guard" / "mlflow.db", "trackcheck") as guarded:
            sides = {"mlflow server": operations(plain, args.models, args.versions_per_model),
                     "guard": operations(guarded, args.models, args.versions_per_model)}
            for op in sides["guard"]:
                for name, ops in sides.items():
                    ops[op](0)  # warm: connection, first-request work
                    results.setdefault(op, {})[name] = []
                for i in range(args.repeat):
                    for name, ops in sides.items():
                        results[op][name] += timed(lambda j, fn=ops[op], i=i: fn(i), 1)
        print(f"{'operation':<24} {'mlflow server':>22} {'guard':>22} {'added (median)':>15}")
        for op, by in results.items():
            cells = [f"{statistics.median(t):7.1f} / p90 {sorted(t)[int(len(t) * .9)]:6.1f}"
                     for t in (by["mlflow server"], by["guard"])]
            added = statistics.median(by["guard"]) - statistics.median(by["mlflow server"])
            print(f"{op:<24} {cells[0]:>22} {cells[1]:>22} {added:>12.1f} ms")
        print("(milliseconds per request through MlflowClient, median / 90th percentile, "
              f"{args.repeat} requests each)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

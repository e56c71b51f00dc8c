"""Benchmark: the registry's HTML page, snapshot and diff, at 1,000 and 10,000 versions.

Builds registries in memory the way the audit's source would read them (models of 20 versions,
aliases on the newest four, a fifth of the aliased versions from a debug run, some deprecated
stages), runs the live rules, then times each output of issue 11 on the same report:

* the per-model state (``audit/state.py``; already part of every audit),
* ``--format html`` (scrub + Jinja2 render) and the page's size,
* ``--snapshot`` (scrub + fingerprints, which are slow hashes on purpose, + JSON),
* ``diff`` of two snapshots (load, validate, compare, render as text and HTML).

Prints the figures (median of ``--repeat``); asserts nothing.

    python benchmarks/html_report.py [--versions 1000 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import runs  # noqa: E402

from trackcheck.audit.context import AuditContext  # noqa: E402
from trackcheck.audit.records import (  # noqa: E402
    DatasetInput,
    ModelRecord,
    RegistrySnapshot,
    RunRecord,
    VersionRecord,
)
from trackcheck.audit.runner import check  # noqa: E402
from trackcheck.audit.state import model_states  # noqa: E402
from trackcheck.cli import _all_rules  # noqa: E402
from trackcheck.detect.redact import scrub_report  # noqa: E402
from trackcheck.policy import load_policy  # noqa: E402
from trackcheck.reporters import REPORTERS  # noqa: E402

PER_MODEL = 20
ALIASES = ("archived", "dev", "staging", "prod")  # on the four newest versions, oldest first


def registry(versions: int, moved: bool = False) -> RegistrySnapshot:
    """``versions`` versions in models of 20; ``moved``: prod one version back in every tenth
    model (what the diff then reports)."""
    snap = RegistrySnapshot(registry="http://127.0.0.1:5000")
    tags = {"project": "p", "env": "prod", "model_name": "m", "data_name": "d", "debug": "false",
            "mlflow.source.git.commit": "c" * 40}
    for m in range(versions // PER_MODEL):
        name = f"model-{m:05d}"
        aliases = {a: PER_MODEL - 3 + i for i, a in enumerate(ALIASES)}
        if moved and m % 10 == 0:
            aliases["prod"] -= 1
        snap.models[name] = ModelRecord(name=name, aliases=aliases, tags={"team": "ml"},
                                        description="a model")
        for n in range(1, PER_MODEL + 1):
            run_id = f"run-{m}-{n}"
            on = tuple(sorted(a for a, v in aliases.items() if v == n))
            snap.versions.append(VersionRecord(
                model=name, version=n, stage="Archived" if n == 1 and m % 3 == 0 else "None",
                status="READY", run_id=run_id, source="s3://b/m", tags={"note": "x"},
                aliases=on))
            if on:
                debug = "true" if m % 5 == 0 and n == PER_MODEL else "false"
                snap.runs[run_id] = RunRecord(
                    run_id, "FINISHED", "active", {**tags, "debug": debug},
                    datasets=(DatasetInput("d", "x1"),))
                snap.wanted_runs.add(run_id)
    return snap


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench(n: int, repeat: int, out: Path) -> None:
    from trackcheck import diff, snapshot

    policy = load_policy("default")[0]
    report = check(registry(n), policy)
    rules = _all_rules({f.rule for f in report.findings})
    snap = registry(n)
    ctx = AuditContext(policy)
    state_wall, _ = runs(lambda: list(model_states(snap, report.findings, ctx, set())), repeat)
    page: list[str] = []
    html_wall, html_cpu = runs(
        lambda: page.append(REPORTERS["html"](scrub_report(report), rules, False)), repeat)
    old, new = out / f"old-{n}.json", out / f"new-{n}.json"
    t0 = time.perf_counter()
    snapshot.write(old, scrub_report(report))  # the first write hashes the fingerprints
    first_snapshot = time.perf_counter() - t0
    snap_wall, _ = runs(lambda: snapshot.write(old, scrub_report(report)), repeat)
    snapshot.write(new, scrub_report(check(registry(n, moved=True), policy)))
    changes: list[diff.Diff] = []
    load_wall, _ = runs(lambda: changes.append(
        diff.compare(snapshot.load(old), snapshot.load(new))), repeat)
    d = changes[-1]
    text_wall, _ = runs(lambda: diff.text(d), repeat)
    dhtml_wall, _ = runs(lambda: diff.html(d), repeat)
    print(f"\n{n:,} versions in {n // PER_MODEL:,} models, {len(report.findings):,} findings")
    print(f"  state per model (audit/state.py)   {median(state_wall) * 1000:8.1f} ms")
    print(f"  --format html: render              {median(html_wall) * 1000:8.1f} ms "
          f"(CPU {median(html_cpu) * 1000:.1f} ms), page {len(page[-1]):,} bytes")
    print(f"  --snapshot: first write            {first_snapshot * 1000:8.1f} ms "
          f"(fingerprints hashed), file {old.stat().st_size:,} bytes")
    print(f"  --snapshot: write again            {median(snap_wall) * 1000:8.1f} ms")
    print(f"  diff: load two + compare           {median(load_wall) * 1000:8.1f} ms "
          f"({len(d.aliases)} aliases moved, {len(d.findings_new)} new, "
          f"{len(d.findings_fixed)} fixed)")
    print(f"  diff: text / html                  {median(text_wall) * 1000:8.1f} / "
          f"{median(dhtml_wall) * 1000:.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--versions", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tc-html-bench-") as tmp:
        for n in args.versions:
            bench(n, args.repeat, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())

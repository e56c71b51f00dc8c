"""Benchmark: the example tree (config/) composed for every option of every group, against the
per-file lint of the same tree. Prints figures; asserts nothing about time.

    .venv/bin/python benchmarks/compose_tree.py [--repeat N]

Needs the hydra extra. Run from anywhere: it works in the repository root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def per_file(policy, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    from trackcheck.lint.discover import discover
    from trackcheck.lint.runner import lint

    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        found = discover(["config"], policy, REPO)
        lint(found.targets, found.policy)
        times.append(time.perf_counter() - t)
    return times


def composed(policy, repeat: int) -> tuple[list[float], list[tuple[str, float]], float]:  # type: ignore[no-untyped-def]
    """Whole ``lint config --compose config`` runs, and the time of each composition (Hydra's
    compose plus trackcheck's checks) in the last run; also the cost of importing Hydra."""
    t = time.perf_counter()
    import hydra  # noqa: F401  (first import: what the first --compose run pays once)

    import_s = time.perf_counter() - t
    from trackcheck.lint import compose
    from trackcheck.lint.compose import compositions
    from trackcheck.lint.discover import discover
    from trackcheck.lint.runner import lint
    from trackcheck.policy import Entrypoint

    # a bare --compose composes the config as committed; the sweep is what a policy asks for
    policy = policy.model_copy(update={"entrypoints": [Entrypoint(config="config", sweep="all")]})
    each: list[tuple[str, float]] = []
    original = compositions._one

    def timed(session, entry, overrides, ctx, out):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return original(session, entry, overrides, ctx, out)
        finally:
            each.append((" ".join(overrides) or "(no overrides)", time.perf_counter() - t0))

    compositions._one = timed  # type: ignore[assignment]
    totals = []
    try:
        for _ in range(repeat):
            each.clear()
            t = time.perf_counter()
            entries = compose.plan(policy, ["config"], [], REPO)
            found = discover(["config"], policy, REPO)
            report = lint(found.targets, found.policy, compose=entries)
            totals.append(time.perf_counter() - t)
            assert report.findings == [], [f.message for f in report.findings]
    finally:
        compositions._one = original  # type: ignore[assignment]
    return totals, list(each), import_s


def fresh(argv: list[str], repeat: int) -> tuple[float, list[str]]:
    """Median wall time of ``trackcheck <argv>`` in a fresh interpreter, and the hydra/mlflow
    modules it loaded."""
    probe = ("import sys\nfrom trackcheck.cli import main\nrc = main(sys.argv[1:])\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'hydra', 'mlflow'}))\n")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    times, loaded = [], ""
    for _ in range(repeat):
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", probe, *argv, "-q"], cwd=REPO, env=env,
                           capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - t)
        loaded = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr.strip()
    return statistics.median(times), [loaded]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    os.chdir(REPO)
    from trackcheck.policy import load_policy

    policy = load_policy()[0]
    files = sorted(p for p in (REPO / "config").rglob("*.yaml"))
    print(f"example tree: {len(files)} files under config/")

    pf = per_file(policy, args.repeat)
    print(f"per-file lint (in process): median {statistics.median(pf) * 1000:.1f} ms, "
          f"best {min(pf) * 1000:.1f} ms over {args.repeat} runs")
    assert "hydra" not in sys.modules, "per-file lint imported hydra"

    totals, each, import_s = composed(policy, args.repeat)
    print(f"import hydra: {import_s * 1000:.0f} ms (once per process)")
    print(f"compositions per run: {len(each)} (every option of every group)")
    for overrides, s in each:
        print(f"  {overrides:<28} {s * 1000:7.1f} ms")
    comp = [s for _, s in each]
    print(f"per composition: median {statistics.median(comp) * 1000:.1f} ms, "
          f"max {max(comp) * 1000:.1f} ms, sum {sum(comp) * 1000:.0f} ms")
    print(f"lint --compose config (in process, hydra already imported): median "
          f"{statistics.median(totals) * 1000:.0f} ms, best {min(totals) * 1000:.0f} ms")

    n = max(3, args.repeat // 2)
    plain, plain_mods = fresh(["lint", "config"], n)
    comp_s, comp_mods = fresh(["lint", "config", "--compose", "config"], n)
    print(f"fresh process, `trackcheck lint config`: {plain * 1000:.0f} ms, loaded {plain_mods[0]}")
    print(f"fresh process, `trackcheck lint config --compose config`: {comp_s * 1000:.0f} ms, "
          f"loaded {comp_mods[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

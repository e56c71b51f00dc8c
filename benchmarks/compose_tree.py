"""Benchmark: the example tree (config/) composed for every option of every group, against the
per-file lint of the same tree. Prints figures; asserts nothing about time.

    .venv/bin/python benchmarks/compose_tree.py [--repeat N]
    .venv/bin/python benchmarks/compose_tree.py --sweep 10x10 [--repeat N]

``--sweep GxO`` instead composes a generated tree of G groups x O options (plus an mlflow group)
for every option of every group (1 + G x (O - 1) compositions) and reports the time per
composition and how many times Hydra loads a config file: with trackcheck's per-run load cache
and its reuse of Hydra's repeated work (``lint.compose.REUSE_WORK``: merged prefixes, placed
configs, the defaults interpolation map), the default; without either ("load cache off": Hydra's
own work in every composition); and with the load cache alone ("reuse off").

Needs the hydra extra. Run from anywhere: it works in the repository root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
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
    policy = replace(policy, entrypoints=[Entrypoint(config="config", sweep="all")])
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


def sweep_tree(root: Path, groups: int, options: int) -> None:
    """A Hydra tree: ``config.yaml`` selecting option 0 of each group and mlflow's default."""
    conf = root / "config"
    names = [f"g{i}" for i in range(groups)]
    lines = ["defaults:", "  - _self_", "  - mlflow: default"]
    lines += [f"  - {g}: o0" for g in names]
    (conf / "mlflow").mkdir(parents=True)
    (conf / "config.yaml").write_text("\n".join(
        [*lines, "", "project:", "  name: sweep-model", "model:", "  name: m", "data:",
         "  name: d", "seed: 42", ""]), "utf-8")
    (conf / "mlflow" / "default.yaml").write_text(
        (REPO / "config" / "mlflow" / "default.yaml").read_text("utf-8"), "utf-8")
    for g in names:
        (conf / g).mkdir()
        for o in range(options):
            params = "\n".join(f"  p{k}: {k * o}" for k in range(8))
            (conf / g / f"o{o}.yaml").write_text(
                f"# option {o} of group {g}\nname: {g}_o{o}\nlr: 0.{o + 1}\n"
                f"layers: [{o}, {o + 1}, {o + 2}]\nparams:\n{params}\n"
                f"tag: ${{project.name}}-{g}\n", "utf-8")


def hydra_alone(conf: Path, groups: int, options: int) -> list[float]:
    """CPU seconds of each of the same compositions by Hydra's compose API alone (files re-read
    and re-parsed every time, nothing checked): the reference."""
    from hydra import compose, initialize_config_dir

    sets = [[]] + [[f"g{g}=o{o}"] for g in range(groups) for o in range(1, options)]
    times = []
    with initialize_config_dir(version_base=None, config_dir=str(conf), job_name="bench"):
        for s in sets:
            c0 = time.process_time()
            compose(config_name="config", overrides=s, return_hydra_config=True)
            times.append(time.process_time() - c0)
    return times


def sweep(spec: str, repeat: int) -> int:
    """``lint config --compose config`` on a generated GxO tree, every option of every group,
    without trackcheck's load cache and reuse, with both, and with the cache alone (runs
    interleaved, so all see the same machine load), and Hydra's compose alone: compositions,
    time per composition, file loads."""
    groups, options = (int(n) for n in spec.lower().split("x"))
    t = time.perf_counter()
    import hydra  # noqa: F401

    import_s = time.perf_counter() - t
    from hydra._internal.sources_registry import SourcesRegistry
    from hydra.core.plugins import Plugins

    from trackcheck.lint import compose
    from trackcheck.lint.compose import compositions
    from trackcheck.lint.compose.plan import repo_off_path
    from trackcheck.lint.discover import discover
    from trackcheck.lint.runner import lint
    from trackcheck.policy import Entrypoint, load_policy

    # Hydra's plugin scan loads its file source module afresh: count on the class it registers
    with repo_off_path(REPO):
        Plugins.instance()
    source = SourcesRegistry.instance().resolve("file")
    loads: list[tuple[str, str]] = []
    load = source.__dict__["load_config"]

    def counted(src, config_path):  # type: ignore[no-untyped-def]
        loads.append((src.path, config_path))
        return load(src, config_path)

    each: list[tuple[float, float]] = []  # (CPU, wall) seconds of each composition
    original = compositions._one

    def timed(*a):  # type: ignore[no-untyped-def]
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            return original(*a)
        finally:
            each.append((time.process_time() - c0, time.perf_counter() - t0))

    policy = replace(load_policy("default")[0],
                     entrypoints=[Entrypoint(config="config", config_dir="config", sweep="all")])
    # label -> (CACHE_LOADS, REUSE_WORK); benchmarks/lint_tree.py reads the figure under the
    # first label holding "cache on"
    modes = {"load cache off": (False, False), "load cache on ": (True, True),
             "reuse off, load cache kept": (True, False)}
    was, cwd = (compose.CACHE_LOADS, compose.REUSE_WORK), os.getcwd()
    per: dict[str, list[tuple[float, float]]] = {m: [] for m in modes}
    counts: dict[str, tuple[int, int, int, int]] = {}
    alone: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        sweep_tree(root, groups, options)
        files = sorted(p.relative_to(root) for p in (root / "config").rglob("*.yaml"))
        print(f"sweep tree: {groups} groups x {options} options + mlflow, {len(files)} files; "
              f"import hydra {import_s * 1000:.0f} ms (once per process); {repeat} runs each")
        os.chdir(root)
        try:
            for _ in range(repeat):
                source.load_config = counted
                compositions._one = timed  # type: ignore[assignment]
                for mode, (compose.CACHE_LOADS, compose.REUSE_WORK) in modes.items():
                    each.clear()
                    loads.clear()
                    entries = compose.plan(policy, ["config"], [], root)
                    found = discover(["config"], policy, root)
                    report = lint(found.targets, found.policy, compose=entries)
                    per[mode].extend(each)
                    counts[mode] = (len(each), len(report.findings), len(loads),
                                    len(set(loads)))
                source.load_config = load
                compositions._one = original  # type: ignore[assignment]
                alone.extend(hydra_alone(root / "config", groups, options))
        finally:
            source.load_config = load
            compositions._one = original  # type: ignore[assignment]
            compose.CACHE_LOADS, compose.REUSE_WORK = was
            os.chdir(cwd)
    for mode in modes:
        n, findings, n_loads, distinct = counts[mode]
        cpu, wall = [c for c, _ in per[mode]], [w for _, w in per[mode]]
        print(f"{mode}: {n} compositions, {findings} findings, "
              f"file loads per run {n_loads} ({distinct} distinct files)\n"
              f"  per composition: CPU median {statistics.median(cpu) * 1000:.1f} ms, "
              f"max {max(cpu) * 1000:.1f} ms; wall median {statistics.median(wall) * 1000:.1f} ms,"
              f" max {max(wall) * 1000:.1f} ms")
    print(f"Hydra's compose alone (no trackcheck, files re-parsed every time): CPU median "
          f"{statistics.median(alone) * 1000:.1f} ms per composition")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sweep", metavar="GxO", help="compose a generated tree of G groups x O "
                    "options instead of the example tree (e.g. 10x10)")
    args = ap.parse_args()
    if args.sweep:
        return sweep(args.sweep, args.repeat)
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

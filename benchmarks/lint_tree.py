"""Benchmark ``trackcheck lint`` against its peer and its floor, in one run (issue 12).

Prints CPU times (best of N; this process and its children) for:
- two generated Hydra config trees, 500 files (~0.45 MB) and 5,000 files (~4.3 MB):
  ``trackcheck lint FILES --format text`` as pre-commit runs it, trackcheck in-process (per-file
  cost without start-up), ``detect-secrets-hook`` on the same files (the peer, when installed)
  and PyYAML's C loader composing every file (the floor: what trackcheck parses with);
- start-up: ``trackcheck lint`` on one small file, beside ``python -c pass``;
- per finding: a file with 1,000 findings against a clean file of the same size (text output);
- the 10 x 10 composition sweep of ``benchmarks/compose_tree.py`` (when Hydra is installed).
Targets: <= 0.15x detect-secrets at 500 files, <= 2x the floor at 5,000, <= 0.1 s start-up,
1,000 findings < 2x a clean file, <= 20 ms per composition.

    python benchmarks/lint_tree.py [--repeat 3] [--files N --bytes B] [--no-peer]
                                   [--no-compose] [--keep DIR] [--profile]

``--files``/``--bytes`` run one tree of that shape instead of the two; ``--profile`` prints a
cProfile of one in-process run over the largest tree.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from timing import runs  # benchmarks/timing.py, beside this script

GROUPS = {  # config group -> share of the files
    "model": 0.28, "data": 0.22, "experiment": 0.2, "deploy": 0.12, "mlflow": 0.08, "paths": 0.1,
}
SMALL_GROUPS = ("mlflow", "paths")  # short files in real trees; the others carry the bulk
KEYS = ["name", "seed", "batch_size", "lr", "hidden", "layers", "root", "data_dir", "epochs",
        "num_classes", "image_size", "tokenizer", "vocab_size", "optimizer", "scheduler"]
PARAMS = ["lr", "dropout", "hidden", "layers", "beta", "eps", "warmup", "decay"]
WORDS = ["resnet", "bert", "xgb", "churn", "fraud", "ranker", "vision", "tabular", "lstm", "gpt"]


def _interpolation(rng: random.Random) -> str:
    """A value with interpolations, as varied as in a real tree (each distinct string is parsed)."""
    group, key = rng.choice(["model", "data", "trainer", "paths"]), rng.choice(KEYS)
    word, i = rng.choice(WORDS), rng.randint(0, 400)
    return rng.choice([
        f"${{{group}.{key}}}",
        f"${{{group}.{key}_{i % 20}}}",
        f"${{paths.data_dir}}/{word}/{word}_{i}.parquet",
        f"${{hydra:runtime.output_dir}}/checkpoints/epoch_{i}",
        f"${{oc.env:{word.upper()}_{key.upper()}}}",
        f"${{oc.env:{word.upper()}_HOME,/opt/{word}}}",
        f"${{now:%Y-%m-%d}}_{word}_{i}",
        f"${{oc.select:{group}.{key},{i}}}",
        f"'${{{group}.{key}}}-${{model.name}}-v{i}'",
    ])


def _block(rng: random.Random, name: str, depth: int) -> list[str]:
    """A nested block of hyper-parameters, lists, references and comments."""
    pad = "  " * depth
    out = [f"{pad}{name}:"]
    for i in range(rng.randint(4, 9)):
        k = f"{rng.choice(PARAMS)}_{i}"
        r = rng.random()
        if r < 0.35:
            out.append(f"{pad}  {k}: {rng.choice([0.1, 0.001, 3e-4, 0.9, 128, 256, 12])}")
        elif r < 0.5:
            out.append(f"{pad}  {k}: {_interpolation(rng)}")
        elif r < 0.65:
            items = ", ".join(str(rng.randint(1, 512)) for _ in range(rng.randint(2, 8)))
            out.append(f"{pad}  {k}: [{items}]")
        elif r < 0.75:
            out.append(f"{pad}  # {' '.join(rng.choices(WORDS, k=6))}")
            out.append(f"{pad}  {k}: {rng.choice(WORDS)}_{rng.randint(1, 99)}")
        elif r < 0.85 and depth < 3:
            out.extend(_block(rng, k, depth + 1))
        else:
            out.append(f"{pad}  {k}:")
            out.extend(f"{pad}    - {rng.choice(WORDS)}-{j}" for j in range(rng.randint(2, 5)))
    return out


def _mlflow(rng: random.Random, i: int, bad: bool) -> list[str]:
    uri = "http://mlflow.internal:5000" if bad else "${oc.env:MLFLOW_TRACKING_URI}"
    intent = "  owner: someone" if bad else f"  lifecycle_intent: {rng.choice(['dev', 'staging'])}"
    return [
        "# mlflow options" if i % 3 else "# @package mlflow",
        "enabled: true",
        f"tracking_uri: {uri}",
        "registry_uri: ${oc.env:MLFLOW_REGISTRY_URI,null}",
        "experiment_name: ${project.name}",
        "run_name: ${model.name}",
        "tags:",
        "  project: ${project.name}",
        f"  env: {rng.choice(['dev', 'ci', 'local'])}",
        "  model_name: ${model.name}",
        "  data_name: ${data.name}",
        "  debug: false",
        intent,
        "register:",
        "  enabled: true",
        "  model_name: ${model.name}",
        f"  alias: {rng.choice(['dev', 'staging'])}",
        "log_models: true",
        "log_datasets: true",
    ]


def _file(rng: random.Random, group: str, i: int, target_bytes: int) -> str:
    bad = rng.random() < 0.06  # a few violations sprinkled in
    name = f"{rng.choice(WORDS)}_{i}"
    if group == "mlflow":
        lines = _mlflow(rng, i, bad)
    elif group == "deploy":
        uri = f"models:/{name}/7" if bad else f"models:/{name}@prod"
        token = "s3cr3t-Deploy-Token-998877" if bad else "${oc.env:DEPLOY_TOKEN}"
        lines = [f"name: {name}", f"model_uri: {uri}", "replicas: 3", "endpoint:",
                 "  host: ${oc.env:DEPLOY_HOST}", "  port: 8080", f"  token: {token}"]
    elif group == "paths":
        lines = ["root: ${hydra:runtime.cwd}", "data_dir: ${paths.root}/data",
                 "logs: ${paths.root}/logs", "output: ${hydra:runtime.output_dir}",
                 "cache: ${oc.env:XDG_CACHE_HOME,/tmp}/cache"]
    elif group == "data":
        lines = [f"name: {name}", f"dataset_id: ds-{rng.randint(1000, 9999)}",
                 "split: [0.8, 0.1, 0.1]", "loader:", "  batch_size: 64", "  num_workers: 4",
                 "  shuffle: true"]
        if bad:
            lines += ["storage:", "  password: Hunter2-Storage-Pass"]
    elif group == "experiment":
        lines = ["# @package _global_", "defaults:", f"  - override /model: {rng.choice(WORDS)}",
                 f"  - override /data: {rng.choice(WORDS)}", "seed: 42", "trainer:",
                 "  max_epochs: 20"]
        if bad:
            lines += ["mlflow:", "  experiment_name: scratch-exp"]
    else:  # model
        lines = [f"name: {name}", f"_target_: models.{rng.choice(WORDS).title()}",
                 "pretrained: true"]
    k = 0
    while group not in SMALL_GROUPS and sum(len(x) + 1 for x in lines) < target_bytes:
        lines.extend(_block(rng, f"section_{k}", 0))
        k += 1
    return "\n".join(lines) + "\n"


def generate(root: Path, n_files: int, total_bytes: int, seed: int = 7) -> list[Path]:
    """A config tree: a root config.yaml and group folders; deterministic for a seed."""
    rng = random.Random(seed)
    (root / "config").mkdir(parents=True, exist_ok=True)
    top = root / "config" / "config.yaml"
    top.write_text("defaults:\n  - mlflow: default\n  - model: default\n  - data: default\n"
                   "  - paths: default\n  - _self_\nproject:\n  name: bench\n")
    files = [top]
    counts = {g: round(share * (n_files - 1)) for g, share in GROUPS.items()}
    counts["model"] += n_files - 1 - sum(counts.values())
    big = sum(n for g, n in counts.items() if g not in SMALL_GROUPS)
    per_file = total_bytes // max(big, 1)
    i = 0
    for group, n in counts.items():
        d = root / "config" / group
        d.mkdir(exist_ok=True)
        for j in range(n):
            p = d / ("default.yaml" if j == 0 else f"{group}_{i}.yaml")
            p.write_text(_file(rng, group, i, int(per_file * rng.uniform(0.6, 1.4))), "utf-8")
            files.append(p)
            i += 1
    return files


def best(fn: Callable[[], object], repeat: int, sub: bool = False) -> tuple[float, float]:
    """Best wall time and best CPU time over ``repeat`` runs; ``sub``: ``fn`` runs a command in
    a subprocess, whose CPU time alone counts."""
    walls, cpus = runs(fn, repeat, children_only=sub)
    return min(walls), min(cpus)


TREES = ((500, 450_000), (5_000, 4_300_000))  # the two trees: (files, bytes)
NAN = (float("nan"), float("nan"))


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--files", type=int, help="one tree of this many files instead of the two")
    ap.add_argument("--bytes", type=int, help="its approximate total size (with --files)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-repeat", type=int, default=1,
                    help="runs of detect-secrets-hook on trees over 1,000 files (it is slow)")
    ap.add_argument("--no-peer", action="store_true", help="skip detect-secrets-hook")
    ap.add_argument("--no-compose", action="store_true", help="skip the composition sweep")
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    ap.add_argument("--profile", action="store_true",
                    help="print a cProfile of one in-process run over the largest tree")
    args = ap.parse_args()
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # each table as it is measured
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tc-bench-"))
    try:
        return _run(root, args)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


Row = tuple[str, tuple[float, float], str]


class _Env:
    """How to start trackcheck and its peer, from the interpreter running this script."""

    def __init__(self) -> None:
        # an installed package has its modules compiled; a shell that sets
        # PYTHONDONTWRITEBYTECODE would otherwise measure the compiler at every start-up
        import compileall

        import trackcheck

        compileall.compile_dir(str(Path(trackcheck.__file__).parent), quiet=1)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("GITHUB_ACTIONS", "PYTHONDONTWRITEBYTECODE")}
        bindir = Path(sys.executable).parent
        script = bindir / "trackcheck"
        self.tc = [str(script)] if script.exists() else [sys.executable, "-m", "trackcheck"]
        search = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
        self.ds = shutil.which("detect-secrets-hook", path=search)

    def run(self, cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(cmd, cwd=cwd, env=self.env, capture_output=True, check=False)

    def lint(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
        return self.run([*self.tc, "lint", *args, "--format", "text"], cwd)


def _ratio(a: tuple[float, float], b: tuple[float, float]) -> str:
    return f"{a[1] / b[1]:.2f}x" if b[1] > 0 and a[1] == a[1] and b[1] == b[1] else "n/a"


def _table(title: str, rows: list[Row]) -> None:
    width = max(len(r[0]) for r in rows)
    print(f"\n{title}")
    print(f"  {'what':<{width}}  {'wall':>8}  {'CPU':>8}  note")
    for what, (wall, cpu), note in rows:
        print(f"  {what:<{width}}  {wall:>7.3f}s  {cpu:>7.3f}s  {note}")


def _run(root: Path, args: argparse.Namespace) -> int:
    env = _Env()
    load = os.getloadavg()[0]
    print(f"best of {args.repeat} (CPU time is the steadier figure); load average {load:.1f} "
          f"on {os.cpu_count()} CPUs")
    trees = [(args.files, args.bytes or args.files * 900)] if args.files else list(TREES)
    summary: list[str] = []
    for n_files, n_bytes in trees:
        tree = root / f"tree-{n_files}"
        if _tree(tree, n_files, n_bytes, env, args, summary, last=(n_files, n_bytes) == trees[-1]):
            return 1
    summary += _startup(root / "startup", env, args)
    summary += _findings(root / "findings", env, args)
    summary += _compose_sweep(args)
    print("\nsummary")
    for line in summary:
        print(f"  {line}")
    return 0


def _tree(tree: Path, n_files: int, n_bytes: int, env: _Env, args: argparse.Namespace,
          summary: list[str], last: bool) -> int:
    files = generate(tree, n_files, n_bytes)
    rels = [p.relative_to(tree).as_posix() for p in files]
    size = sum(p.stat().st_size for p in files)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    first = env.lint([*rels, "-q"], tree)
    if first.returncode not in (0, 1):
        print(first.stderr.decode(), file=sys.stderr)
        return 1
    tc = best(lambda: env.lint(rels, tree), args.repeat, sub=True)
    rows: list[Row] = [("trackcheck lint FILES --format text (subprocess)", tc,
                        f"{len(first.stdout.splitlines())} findings")]
    inproc, floor, load_all = _in_process(tree, rels, files, args.repeat,
                                          profile=args.profile and last)
    rows += [("trackcheck lint (in-process: per-file cost, no start-up)", inproc, ""),
             ("PyYAML C loader compose_all, every file", floor, "the floor"),
             ("PyYAML C loader load, every file", load_all, "compose + construct")]
    if env.ds and not args.no_peer:
        ds_cmd = [env.ds, *rels]
        got = env.run(ds_cmd, tree)
        peer = best(lambda: env.run(ds_cmd, tree),
                    args.peer_repeat if n_files > 1000 else args.repeat, sub=True)
        rows.append(("detect-secrets-hook FILES (subprocess)", peer, f"exit {got.returncode}"))
    else:
        peer = NAN
        rows.append(("detect-secrets-hook", NAN, "skipped" if env.ds else "not installed"))
    _table(f"tree: {len(files)} files, {size / 1e6:.2f} MB, {lines} lines", rows)
    summary.append(
        f"{len(files):>5} files: trackcheck {tc[1]:.2f}s (in-process {inproc[1]:.2f}s), floor "
        f"{floor[1]:.2f}s, detect-secrets {peer[1]:.2f}s | in-process/floor "
        f"{_ratio(inproc, floor)}, subprocess/floor {_ratio(tc, floor)} (target <= 2x at 5,000), "
        f"trackcheck/detect-secrets {_ratio(tc, peer)} (target <= 0.15)")
    return 0


def _startup(where: Path, env: _Env, args: argparse.Namespace) -> list[str]:
    one = where / "config" / "config.yaml"
    one.parent.mkdir(parents=True, exist_ok=True)
    one.write_text("defaults:\n  - _self_\nproject:\n  name: bench\nseed: 42\n", "utf-8")
    rel = one.relative_to(where).as_posix()
    tc = best(lambda: env.lint([rel], where), args.repeat, sub=True)
    bare = best(lambda: env.run([sys.executable, "-c", "pass"], where), args.repeat,
                sub=True)
    _table("start-up", [("trackcheck lint config/config.yaml", tc, "one small file"),
                        ("python -c pass", bare, "the interpreter alone")])
    return [f"start-up: {tc[1]:.3f}s CPU for one small file (python alone {bare[1]:.3f}s; "
            "target <= 0.1 s)"]


def _findings(where: Path, env: _Env, args: argparse.Namespace, n: int = 1000) -> list[str]:
    """Two files of the same size: one with ``n`` findings (a literal under a secret-like key,
    TC111), one clean (the same values under plain keys)."""
    d = where / "config" / "store"
    d.mkdir(parents=True, exist_ok=True)
    values = [f"Hunter2-Storage-Pass-{i:05d}" for i in range(n)]
    bad = "".join(f"s{i:05d}:\n  password: {v}\n" for i, v in enumerate(values))
    clean = "".join(f"s{i:05d}:\n  settings: {v}\n" for i, v in enumerate(values))
    assert len(bad) == len(clean)
    (d / "bad.yaml").write_text(bad, "utf-8")
    (d / "clean.yaml").write_text(clean, "utf-8")
    rows: list[Row] = []
    times = []
    for name in ("bad", "clean"):
        rel = f"config/store/{name}.yaml"
        got = env.lint([rel, "-q"], where)
        t = best(lambda rel=rel: env.lint([rel], where), args.repeat, sub=True)  # type: ignore[misc]
        times.append(t)
        rows.append((f"trackcheck lint {name}.yaml --format text", t,
                     f"{len(got.stdout.splitlines())} findings, {len(bad) / 1e3:.0f} kB"))
    _table(f"per finding: {n} findings against a clean file of the same size", rows)
    return [f"{n} findings: {times[0][1]:.3f}s against {times[1][1]:.3f}s clean, "
            f"{_ratio(times[0], times[1])} (target < 2x)"]


def _compose_sweep(args: argparse.Namespace) -> list[str]:
    """The 10 x 10 composition sweep of ``compose_tree.py`` (another benchmark), if it offers one
    and Hydra is installed; its own report is printed as it comes."""
    import importlib.util

    script = Path(__file__).with_name("compose_tree.py")
    if args.no_compose:
        return ["composition sweep: skipped (--no-compose)"]
    if importlib.util.find_spec("hydra") is None or not script.exists() \
            or "--sweep" not in script.read_text("utf-8"):
        print("\ncomposition sweep 10 x 10: n/a")
        return ["composition sweep 10 x 10: n/a (needs the hydra extra and compose_tree.py "
                "--sweep)"]
    cmd = [sys.executable, str(script), "--sweep", "10x10", "--repeat", "1"]
    got = subprocess.run(cmd, capture_output=True, text=True, check=False)
    print("\ncomposition sweep 10 x 10 (benchmarks/compose_tree.py --sweep 10x10 --repeat 1)")
    for line in got.stdout.splitlines():
        print(f"  {line}")
    if got.returncode != 0:
        print(f"  (exit {got.returncode}) {got.stderr.strip()[-500:]}")
    out = got.stdout.splitlines()  # the figure with trackcheck's load cache on, if it says so
    on = [i for i, x in enumerate(out) if "cache on" in x]
    per = [x for x in out[on[0] if on else 0:] if "per composition" in x]
    return [f"composition sweep 10 x 10, load cache on: {per[0].strip() if per else 'see above'} "
            "(target <= 20 ms)"]


def _in_process(root: Path, rels: list[str], files: list[Path], repeat: int,
                profile: bool) -> tuple[tuple[float, float], ...]:
    import yaml

    from trackcheck.engine import Selection
    from trackcheck.lint.discover import discover
    from trackcheck.lint.interpolation import _cached
    from trackcheck.lint.runner import lint
    from trackcheck.policy import load_policy

    old = os.getcwd()
    os.chdir(root)
    try:
        policy = load_policy()[0]

        def in_process() -> None:
            _cached.cache_clear()
            found = discover(rels, policy, root)
            lint(found.targets, found.policy, Selection())

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        def load_all() -> None:
            for p in files:
                yaml.load(p.read_bytes(), Loader=loader)

        def compose_all() -> None:
            for p in files:
                list(yaml.compose_all(p.read_text("utf-8"), Loader=loader))

        out = best(in_process, repeat), best(compose_all, repeat), best(load_all, repeat)
        if profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.runcall(in_process)
            pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return out
    finally:
        os.chdir(old)


if __name__ == "__main__":
    sys.exit(main())

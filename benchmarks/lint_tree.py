"""Benchmark ``trackcheck lint`` on a generated Hydra config tree of 500 files (~2 MB).

Prints wall and CPU times (best of N) for: trackcheck as a subprocess (the way pre-commit runs
it, with the file names), trackcheck in-process (caches cleared before each run), PyYAML's C
loader on the same files (the floor), and ``detect-secrets-hook`` on the same files when it is
installed. Target: trackcheck at most a quarter of detect-secrets' time.

    python benchmarks/lint_tree.py [--files 500] [--bytes 2000000] [--repeat 3] [--keep DIR]
                                   [--profile]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (this process and its children) over ``repeat`` runs;
    CPU time is the steadier figure on a busy machine."""
    walls, cpus = [], []
    for _ in range(repeat):
        r0, c0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        children = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        cpus.append(time.process_time() - c0 + children)
    return min(walls), min(cpus)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--bytes", type=int, default=2_000_000, help="approximate total size")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one in-process run")
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tc-bench-"))
    try:
        return _run(root, args)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


Row = tuple[str, tuple[float, float], str]


def _run(root: Path, args: argparse.Namespace) -> int:
    files = generate(root, args.files, args.bytes)
    rels = [p.relative_to(root).as_posix() for p in files]
    size = sum(p.stat().st_size for p in files)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    print(f"tree: {len(files)} files, {size / 1e6:.2f} MB, {lines} lines")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    bindir = Path(sys.executable).parent
    script = bindir / "trackcheck"
    tc_cmd = [str(script)] if script.exists() else [sys.executable, "-m", "trackcheck"]

    def sub(cmd: list[str]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(cmd, cwd=root, env=env, capture_output=True, check=False)

    first = sub([*tc_cmd, "lint", *rels, "-q"])
    if first.returncode not in (0, 1):
        print(first.stderr.decode(), file=sys.stderr)
        return 1
    rows: list[Row] = []
    tc = best(lambda: sub([*tc_cmd, "lint", *rels]), args.repeat)
    rows.append(("trackcheck lint FILES (subprocess)", tc,
                 f"{len(first.stdout.splitlines())} findings"))
    rows.append(("trackcheck lint config (subprocess)",
                 best(lambda: sub([*tc_cmd, "lint", "config"]), args.repeat), ""))
    rows.append(("trackcheck lint config/config.yaml (startup)",
                 best(lambda: sub([*tc_cmd, "lint", "config/config.yaml"]), args.repeat),
                 "one file: imports and policy"))
    rows += _in_process(root, rels, files, args)

    search = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
    ds = shutil.which("detect-secrets-hook", path=search)
    ds_time = None
    if ds:
        got = sub([ds, *rels])
        ds_time = best(lambda: sub([ds, *rels]), args.repeat)
        rows.append(("detect-secrets-hook FILES (subprocess)", ds_time, f"exit {got.returncode}"))
    else:
        rows.append(("detect-secrets-hook", (float("nan"), float("nan")), "not installed"))

    width = max(len(r[0]) for r in rows)
    load = os.getloadavg()[0]
    print(f"\nbest of {args.repeat}; load average {load:.1f} on {os.cpu_count()} CPUs\n")
    print(f"{'what':<{width}}  {'wall':>8}  {'CPU':>8}  note")
    for what, (wall, cpu), note in rows:
        print(f"{what:<{width}}  {wall:>7.3f}s  {cpu:>7.3f}s  {note}")
    if ds_time is not None:
        wall_ratio, cpu_ratio = tc[0] / ds_time[0], tc[1] / ds_time[1]
        verdict = "meets" if max(wall_ratio, cpu_ratio) <= 0.25 else "MISSES"
        print(f"\ntrackcheck / detect-secrets: wall {wall_ratio:.2f}, CPU {cpu_ratio:.2f} "
              f"({verdict} the <= 0.25 target)")
    return 0


def _in_process(root: Path, rels: list[str], files: list[Path],
                args: argparse.Namespace) -> list[Row]:
    import yaml

    from trackcheck.engine import Selection
    from trackcheck.findings import value_digest
    from trackcheck.lint.discover import discover
    from trackcheck.lint.interpolation import analyse
    from trackcheck.lint.runner import lint
    from trackcheck.policy import load_policy

    old = os.getcwd()
    os.chdir(root)
    try:
        policy = load_policy()[0]

        def in_process() -> None:
            analyse.cache_clear()
            value_digest.cache_clear()
            found = discover(rels, policy, root)
            lint(found.targets, found.policy, Selection())

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        def load_all() -> None:
            for p in files:
                yaml.load(p.read_bytes(), Loader=loader)

        def compose_all() -> None:
            for p in files:
                list(yaml.compose_all(p.read_text("utf-8"), Loader=loader))

        rows: list[Row] = [
            ("trackcheck lint (in-process, cold caches)", best(in_process, args.repeat), ""),
            (f"PyYAML {loader.__name__} load, every file", best(load_all, args.repeat),
             "the floor"),
            (f"PyYAML {loader.__name__} compose_all, every file", best(compose_all, args.repeat),
             "what trackcheck parses with"),
        ]
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.runcall(in_process)
            pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return rows
    finally:
        os.chdir(old)


if __name__ == "__main__":
    sys.exit(main())

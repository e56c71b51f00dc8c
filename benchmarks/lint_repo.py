"""Benchmark ``trackcheck lint`` with no arguments on a generated git repository of 5,000 files.

Generates a repository (Hydra config under ``configs/`` with groups, Python under ``src/``,
shell under ``scripts/``, Markdown docs and READMEs, PNG images), commits it, and prints wall and
CPU times (median of N) of: ``git ls-files`` alone (the floor of listing the repository),
``trackcheck lint`` with no arguments from the repository root (the default: the repository's
files), and ``trackcheck lint configs src scripts`` (explicit paths), with how many files each
run linted (the ``summary`` of ``--format json``).

    python benchmarks/lint_repo.py [--files 5000] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

from timing import runs  # benchmarks/timing.py, beside this script

# share of the files by kind; READMEs and a few fixed files make up the rest
SHARES = {"yaml": 0.24, "python": 0.30, "shell": 0.06, "markdown": 0.16, "png": 0.20}
GROUPS = ["model", "data", "trainer", "experiment", "logger", "mlflow", "paths", "callbacks"]
WORDS = ["resnet", "bert", "xgb", "churn", "fraud", "ranker", "vision", "tabular", "lstm", "gpt"]
PACKAGES = ["models", "data", "training", "serving", "utils_io", "features", "evaluation"]
FIXED = {
    "README.md": "# bench\n\nA generated training repository.\n",
    "pyproject.toml": '[project]\nname = "bench"\nversion = "0.1.0"\n',
    "Makefile": "train:\n\tpython src/train.py experiment=baseline\n",
    "Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"src/train.py\"]\n",
    ".gitignore": "outputs/\nmultirun/\nmlruns/\n.env\n",
    ".github/workflows/ci.yaml": ("on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                                 "    steps:\n      - run: make train\n"),
    "src/train.py": ('import hydra\nimport mlflow\n\n\n@hydra.main(config_path="../configs", '
                     'config_name="config", version_base="1.3")\ndef main(cfg):\n'
                     "    mlflow.set_experiment(cfg.mlflow.experiment_name)\n\n\n"
                     'if __name__ == "__main__":\n    main()\n'),
    "configs/config.yaml": ("defaults:\n" + "".join(f"  - {g}: default\n" for g in GROUPS)
                            + "  - _self_\nproject:\n  name: bench\nseed: 42\n"),
}


def _yaml(rng: random.Random, group: str, i: int) -> str:
    name = f"{rng.choice(WORDS)}_{i}"
    if group == "mlflow":
        return ("tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\nexperiment_name: ${project.name}\n"
                "run_name: ${model.name}\ntags:\n  project: ${project.name}\n  env: dev\n"
                "  model_name: ${model.name}\n  data_name: ${data.name}\n  debug: false\n")
    if group == "experiment":
        return ("# @package _global_\ndefaults:\n"
                f"  - override /model: {rng.choice(WORDS)}\n  - override /data: {name}\n"
                f"trainer:\n  max_epochs: {rng.randint(5, 50)}\n")
    lines = [f"name: {name}", f"_target_: {rng.choice(PACKAGES)}.{rng.choice(WORDS).title()}"]
    for k in range(rng.randint(6, 30)):
        v = rng.choice([str(rng.random()), "${paths.data_dir}/" + name, str(rng.randint(1, 512)),
                        "${oc.env:DATA_ROOT}", f"[{rng.randint(1, 9)}, {rng.randint(1, 9)}]"])
        lines.append(f"param_{k}: {v}")
    return "\n".join(lines) + "\n"


def _python(rng: random.Random, i: int) -> str:
    body = [f'"""Module {i}."""', "", "import os", "", "import mlflow", ""]
    for j in range(rng.randint(3, 12)):
        body += ["", f"def step_{j}(batch, lr={rng.random():.4f}):",
                 f'    """Step {j}."""',
                 f"    mlflow.log_metric('loss_{j}', batch * lr)",
                 f"    return os.environ.get('STEP_{j}', '{rng.choice(WORDS)}')", ""]
    return "\n".join(body) + "\n"


def _shell(rng: random.Random, i: int) -> str:
    return ("#!/usr/bin/env bash\nset -euo pipefail\n"
            f"python src/train.py model={rng.choice(WORDS)} data={rng.choice(WORDS)} "
            f"trainer.max_epochs={rng.randint(1, 30)} seed={i}\n")


def _markdown(rng: random.Random, i: int) -> str:
    paras = [" ".join(rng.choices(WORDS, k=40)) for _ in range(rng.randint(2, 8))]
    return f"# Note {i}\n\n" + "\n\n".join(paras) + "\n"


def _png(rng: random.Random, size: int = 16) -> bytes:
    """A small valid RGB PNG with random pixels (not text: trackcheck skips it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\0" + rng.randbytes(size * 3) for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def generate(root: Path, n_files: int, seed: int = 11) -> dict[str, int]:
    """Write ``n_files`` files under ``root``; returns the count per kind."""
    rng = random.Random(seed)
    files: dict[str, str | bytes] = dict(FIXED)
    counts = {k: int(share * n_files) for k, share in SHARES.items()}
    for i in range(counts["yaml"]):
        group = GROUPS[i % len(GROUPS)]
        name = "default" if i < len(GROUPS) else f"{group}_{i}"
        files[f"configs/{group}/{name}.yaml"] = _yaml(rng, group, i)
    for i in range(counts["python"]):
        files[f"src/{PACKAGES[i % len(PACKAGES)]}/sub_{i % 13}/mod_{i}.py"] = _python(rng, i)
    for i in range(counts["shell"]):
        files[f"scripts/{WORDS[i % len(WORDS)]}/run_{i}.sh"] = _shell(rng, i)
    for i in range(counts["markdown"]):
        files[f"docs/{WORDS[i % len(WORDS)]}/note_{i}.md"] = _markdown(rng, i)
    for i in range(counts["png"]):
        files[f"assets/{WORDS[i % len(WORDS)]}/fig_{i}.png"] = _png(rng)
    folders = sorted({str(Path(p).parent) for p in files} - {"."})
    readmes = n_files - len(files)
    for folder in folders[:max(readmes, 0)]:
        files[f"{folder}/README.md"] = f"# {folder}\n\nWhat lives in {folder}.\n"
    i = 0
    while len(files) < n_files:  # more files than folders: extra notes
        files[f"docs/extra/note_{i}.md"] = _markdown(rng, i)
        i += 1
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, "utf-8")
    kinds: dict[str, int] = {}
    for rel in files:
        ext = Path(rel).suffix or Path(rel).name
        kinds[ext] = kinds.get(ext, 0) + 1
    return kinds


def median_times(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time over ``repeat`` runs."""
    walls, cpus = runs(fn, repeat)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tc-bench-repo-"))
    try:
        return _run(root, args)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def _trackcheck() -> list[str]:
    """The installed console script: beside this interpreter, else the repository's venv."""
    for script in (Path(sys.executable).parent / "trackcheck",
                   Path(__file__).resolve().parent.parent / ".venv" / "bin" / "trackcheck"):
        if script.exists():
            return [str(script)]
    return [sys.executable, "-m", "trackcheck"]


def _run(root: Path, args: argparse.Namespace) -> int:
    root.mkdir(parents=True, exist_ok=True)
    kinds = generate(root, args.files)
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}

    def sub(cmd: list[str]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(cmd, cwd=root, env=env, capture_output=True, check=False)

    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com",
           "-c", "commit.gpgsign=false"]
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "generated"]):
        done = sub([*git, *cmd])
        if done.returncode != 0:
            print(done.stderr.decode(), file=sys.stderr)
            return 1
    tracked = len(sub(["git", "ls-files", "-z"]).stdout.split(b"\0")) - 1
    mix = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    print(f"repository: {tracked} tracked files ({mix})")

    tc = _trackcheck()
    runs = [("git ls-files", ["git", "ls-files"]),
            ("trackcheck lint (no arguments)", [*tc, "lint", "--format", "json"]),
            ("trackcheck lint configs src scripts",
             [*tc, "lint", "configs", "src", "scripts", "--format", "json"])]
    rows = []
    for what, cmd in runs:
        first = sub(cmd)
        note = ""
        if cmd[0] != "git":
            if first.returncode not in (0, 1):
                note = f"exit {first.returncode}: {first.stderr.decode().strip()[:60]}"
            else:
                out = json.loads(first.stdout)
                note = (f"{out['summary'].get('files', 0)} files linted, "
                        f"{len(out['findings'])} findings")
        else:
            note = f"{len(first.stdout.splitlines())} files listed"
        rows.append((what, median_times(lambda cmd=cmd: sub(cmd), args.repeat), note))

    width = max(len(r[0]) for r in rows)
    print(f"\nmedian of {args.repeat}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs\n")
    print(f"{'what':<{width}}  {'wall':>8}  {'CPU':>8}  note")
    for what, (wall, cpu), note in rows:
        print(f"{what:<{width}}  {wall:>7.3f}s  {cpu:>7.3f}s  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

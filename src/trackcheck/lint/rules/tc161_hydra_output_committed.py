"""Hydra run output committed: a run's saved config and command-line overrides in the tree.

## What it does
Reports each committed Hydra run directory once. A run directory is recognised by what Hydra
saves in it, a `.hydra/` folder (`config.yaml`, `overrides.yaml`, `hydra.yaml`), wherever runs
are kept: `outputs/<date>/<time>/`, `multirun/<date>/<time>/<job>/`,
`logs/train/runs/<date>_<time>/` or any other `hydra.run.dir`. The finding names the run
directory and sits on one of its files, the same one in every full run: `.hydra/config.yaml`,
else the first YAML file of `.hydra/` in sorted order, passing over files git ignores and does
not track (a run git ignores is a local run, not a committed one, and is left alone). When
pre-commit passes some files of a run directory but not that one, the run directory is not
reported by that commit: the file that carries the finding is already in the tree or not yet
added, and the full lint reports it. A sweep's `multirun.yaml` is reported for its sweep
directory, and a YAML file holding Hydra's runtime section (`hydra.runtime.output_dir`), which
only Hydra writes, wherever it lies outside a run directory. The secret rules and TC170 still
read these files, as plain YAML.

## Why is this bad?
Hydra saves the composed config and every command-line override of a run, so whatever was
passed at run time, a tracking URI or a token included, lands in these files. Committed, they
also go stale at once and get mistaken for the config the project uses.

## Example
```yaml
hydra:
  runtime:
    output_dir: /home/alice/project/outputs/2024-05-01/12-00-00
```

## Use instead
```yaml
hydra:
  run:
    dir: outputs/${now:%Y-%m-%d}/${now:%H-%M-%S}
```
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Node
from trackcheck.lint.rules.tc160_secret_file_committed import ignored_by_git
from trackcheck.rule import Hit, Rule

# a folder named by a date, a time or a job number: one run among its siblings
_RUN_NAME = re.compile(r"[_.:T-]*+\d[\d_.:T-]*+")  # possessive: one pass over a name


def unignored(folder: str, names: list[str]) -> list[str]:
    """``names`` (relative to ``folder``) less those git ignores and does not track, in one git
    call; outside git, all of them."""
    import subprocess  # only when git is asked: a hook run may never need it

    try:
        r = subprocess.run(["git", "-C", folder, "check-ignore", "-z", "--stdin"],
                           input=b"\0".join(os.fsencode(n) for n in names),
                           capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return names
    ignored = {os.fsdecode(n) for n in r.stdout.split(b"\0")} if r.returncode == 0 else set()
    return [n for n in names if n not in ignored]


@functools.lru_cache(maxsize=4096)  # per run directory, not per file of it
def _carrier(hydra_dir: str) -> str | None:
    """The file of ``hydra_dir`` (absolute) that carries its run directory's finding."""
    try:
        names = [e.name for e in os.scandir(hydra_dir)
                 if e.name.lower().endswith((".yaml", ".yml")) and e.is_file()]
    except OSError:
        return None
    names.sort(key=lambda n: (n != "config.yaml", n))
    first = next(iter(unignored(hydra_dir, names)), None) if names else None
    return os.path.join(hydra_dir, first) if first else None


def _in_run_dir(path: str) -> bool:
    """A folder above ``path`` holds a ``.hydra/`` folder: the file is part of that run."""
    for parent in PurePosixPath(path).parents:
        if parent.name == "..":
            return False
        if os.path.isdir(os.path.join(parent, ".hydra")):
            return True
    return False


def _ignore_advice(run: str, saved: str) -> str:
    """What to add to .gitignore: the folder that keeps this run among its siblings, or what
    Hydra saved (``saved``) when the run directory is the working directory."""
    if run == ".":
        return saved
    p = PurePosixPath(run)
    while _RUN_NAME.fullmatch(p.name) and p.parent.name:
        p = p.parent
    return f"{p}/"


def _runtime(doc: Document) -> Node | None:
    """``hydra.runtime`` holding ``output_dir`` or ``cwd``: only a saved ``hydra.yaml`` has it."""
    if "runtime" not in doc.names():
        return None  # most files: no key of that name
    root = doc.roots[0] if doc.roots and doc.roots[0].kind == "mapping" else None
    hydra = root.child("hydra") if root else None
    runtime = hydra.child("runtime") if hydra and hydra.kind == "mapping" else None
    if runtime and runtime.kind == "mapping" and any(map(runtime.child, ("output_dir", "cwd"))):
        return runtime
    return None


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    if doc.kind not in ("hydra", "yaml"):
        return
    parts = doc.path.split("/")
    if ".hydra" in parts[:-1]:
        run = "/".join(parts[:len(parts) - 1 - parts[::-1].index(".hydra")]) or "."
        if _carrier(os.path.abspath(os.path.join(run, ".hydra"))) == os.path.abspath(doc.path):
            yield Hit(f"Hydra run directory '{run}/' committed: its .hydra/ holds the run's "
                      "resolved config and command-line overrides; remove it and add "
                      f"'{_ignore_advice(run, '.hydra/')}' to .gitignore", doc.path, "")
        return  # any other file of the run directory is reported with it
    sweep = parts[-1] == "multirun.yaml"
    node = None if sweep else _runtime(doc)
    if not (sweep or node) or _in_run_dir(doc.path) or ignored_by_git(doc.path):
        return
    if node is not None:
        yield ctx.hit(doc, node, "Hydra run output committed: this file holds Hydra's runtime "
                      "section (hydra.runtime), saved for a run; remove it and keep run output "
                      "out of git (.gitignore)", value="", at_key=True)
        return
    folder = PurePosixPath(doc.path).parent.as_posix()
    yield Hit(f"Hydra sweep directory '{folder}/' committed: its multirun.yaml holds the sweep's "
              "config and command-line overrides; remove it and add "
              f"'{_ignore_advice(folder, 'multirun.yaml')}' to .gitignore", doc.path, "")


RULE = Rule("TC161", "hydra-output-committed", Severity.ERROR, "lint", check, __doc__ or "")

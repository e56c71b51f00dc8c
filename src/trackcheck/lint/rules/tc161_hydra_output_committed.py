"""Hydra run output committed: a run's saved config and command-line overrides in the tree.

## What it does
Reports, once per file, a file Hydra wrote for a run: anything in a `.hydra/` folder
(`config.yaml`, `overrides.yaml`, `hydra.yaml`), a sweep's `multirun.yaml`, and YAML under a
dated run directory (`outputs/2024-05-01/12-00-00/`, `multirun/...`); also a YAML file that
holds Hydra's runtime section (`hydra.runtime.output_dir`), which only Hydra writes, wherever it
lies. A file git ignores (and does not track) is a local run, not a committed one, and is left
alone. The secret rules and TC170 still read these files, as plain YAML.

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

from collections.abc import Iterator
from pathlib import PurePosixPath

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.discover import hydra_output
from trackcheck.lint.document import Document, Node
from trackcheck.lint.rules.tc160_secret_file_committed import ignored_by_git
from trackcheck.rule import Hit, Rule


def _runtime(doc: Document) -> Node | None:
    """``hydra.runtime`` holding ``output_dir`` or ``cwd``: only a saved ``hydra.yaml`` has it."""
    root = doc.roots[0] if doc.roots and doc.roots[0].kind == "mapping" else None
    hydra = root.child("hydra") if root else None
    runtime = hydra.child("runtime") if hydra and hydra.kind == "mapping" else None
    if runtime and runtime.kind == "mapping" and any(map(runtime.child, ("output_dir", "cwd"))):
        return runtime
    return None


_WHAT = {"config.yaml": "the config of a run",
         "overrides.yaml": "the command-line overrides of a run",
         "hydra.yaml": "Hydra's settings and the overrides of a run",
         "multirun.yaml": "the config and overrides of a sweep"}


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    by_path = doc.kind == "yaml" and hydra_output(doc.path)
    node = None if by_path or doc.kind not in ("hydra", "yaml") else _runtime(doc)
    if not (by_path or node) or ignored_by_git(doc.path):
        return
    what = _WHAT.get(PurePosixPath(doc.path).name, "output of a run") if by_path else \
        "Hydra's runtime section, saved for a run"
    message = (f"Hydra run output committed: this file holds {what}; remove it and add outputs/ "
               "and multirun/ to .gitignore")
    if node is not None:
        yield ctx.hit(doc, node, message, value="", at_key=True)
    else:
        yield Hit(message, doc.path, "")


RULE = Rule("TC161", "hydra-output-committed", Severity.ERROR, "lint", check, __doc__ or "")

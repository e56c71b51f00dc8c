"""MLflow file store committed: `mlruns/` experiment and run metadata in the tree.

## What it does
Reports each committed MLflow file store once: a folder (`mlruns/` or any other) whose tree
holds MLflow's metadata files, an experiment's `<experiment id>/meta.yaml` (`experiment_id`,
`name`, `artifact_location`, `lifecycle_stage`) or a run's
`<experiment id>/<run id>/meta.yaml` (`run_id`, `experiment_id`, `status`, `artifact_uri`,
`lifecycle_stage`). A `meta.yaml` of another shape (a conda recipe's) is not MLflow's. The
finding names the store and sits on one of its files, the same one in every full run: the
first experiment `meta.yaml` in sorted order, else the first run `meta.yaml` (deleted
experiments under `.trash/` last), passing over files git ignores and does not track (a local
store git ignores is left alone). When pre-commit passes some files of a store but not that
one, the store is not reported by that commit: the full lint reports it. MLflow metadata outside
a store's layout is reported on its own file. Model files (`MLmodel`) and the registry's
`models/` metadata are not judged.

## Why is this bad?
A file store holds every run's parameters, tags and metrics as files: whatever a run logged, a
database password passed as a parameter or a token in a tag included, is committed with it.
Runs belong to the tracking server the training entrypoint finds in `MLFLOW_TRACKING_URI`,
where access is controlled and history is not copied into every clone.

## Example
```yaml
artifact_location: file:///home/alice/project/mlruns/0
creation_time: 1714550400000
experiment_id: '0'
last_update_time: 1714550400000
lifecycle_stage: active
name: Default
```

## Use instead
```yaml
mlflow:
  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}
```
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath

from trackcheck.findings import Severity
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document
from trackcheck.lint.rules.tc160_secret_file_committed import ignored_by_git
from trackcheck.lint.rules.tc161_hydra_output_committed import unignored
from trackcheck.rule import Hit, Rule

_RUN_ID = re.compile(r"[0-9a-f]{32}")  # MLflow names a run's folder by its uuid4 hex


def _meta(doc: Document) -> tuple[str, str, str] | None:
    """(what, experiment id, run id) of an MLflow experiment or run ``meta.yaml``."""
    names = doc.names()
    if "experiment_id" not in names or "lifecycle_stage" not in names:
        return None  # most files: not those keys anywhere
    root = doc.roots[0] if doc.roots and doc.roots[0].kind == "mapping" else None
    keys = {c.name: c.value for c in root.children if c.is_scalar} if root else {}
    if "experiment_id" not in keys or "lifecycle_stage" not in keys:
        return None
    run = keys.get("run_id") or keys.get("run_uuid")
    if run:
        return "run", keys["experiment_id"], run
    return ("experiment", keys["experiment_id"], "") if "artifact_location" in keys else None


def _store(path: str, experiment: str, run: str) -> str | None:
    """The store folder of a ``meta.yaml`` where a store keeps it (folders named by the ids)."""
    p = PurePosixPath(path)
    up = p.parent
    if run:
        if up.name != run or not _RUN_ID.fullmatch(run):
            return None
        up = up.parent
    if p.name != "meta.yaml" or up.name != experiment or not experiment.isdigit():
        return None
    store = up.parent.parent if up.parent.name == ".trash" else up.parent
    return store.as_posix()


@functools.lru_cache(maxsize=1024)  # per store, not per file of it: listing it is linear
def _carrier(store: str) -> str | None:
    """The file of ``store`` (absolute) that carries its finding."""
    found: list[tuple[int, str]] = []
    for rank, base in ((0, ""), (2, ".trash/")):
        for exp in _dirs(os.path.join(store, base), str.isdigit):
            meta = f"{base}{exp}/meta.yaml"
            if os.path.isfile(os.path.join(store, meta)):
                found.append((rank, meta))
            found += [(rank + 1, f"{base}{exp}/{r}/meta.yaml")
                      for r in _dirs(os.path.join(store, base, exp), _RUN_ID.fullmatch)
                      if os.path.isfile(os.path.join(store, base, exp, r, "meta.yaml"))]
    names = [n for _, n in sorted(found)]
    first = next(iter(unignored(store, names)), None) if names else None
    return os.path.join(store, first) if first else None


def _dirs(folder: str, named: Callable[[str], object]) -> list[str]:
    """Sub-folders of ``folder`` whose names pass ``named`` (symlinks not followed)."""
    try:
        return [e.name for e in os.scandir(folder)
                if named(e.name) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def check(doc: Document, ctx: LintContext) -> Iterator[Hit]:
    meta = _meta(doc) if doc.kind in ("hydra", "yaml") else None
    if meta is None:
        return
    store = _store(doc.path, meta[1], meta[2])
    if store is None:
        if not ignored_by_git(doc.path):
            yield Hit(f"MLflow {meta[0]} metadata committed: this file comes from a file store "
                      "(mlruns/), whose run params and tags (often secrets) belong to the "
                      "tracking server; remove it and add mlruns/ to .gitignore", doc.path, "")
        return
    if _carrier(os.path.abspath(store)) == os.path.abspath(doc.path):
        yield Hit(f"MLflow file store '{store}/' committed: its run params and tags (often "
                  "secrets) belong to the tracking server; remove it and add "
                  f"'{store}/' to .gitignore", doc.path, "")


RULE = Rule("TC162", "mlflow-store-committed", Severity.ERROR, "lint", check, __doc__ or "")

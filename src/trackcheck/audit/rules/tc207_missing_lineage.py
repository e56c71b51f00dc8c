"""A `prod`/`staging` version whose source run lacks the required lineage.

## What it does
For each version carrying an alias listed in `lineage.required_for`, checks its source run
for a git commit (one of the tags in `lineage.git_commit_tags`, e.g. MLflow's own
`mlflow.source.git.commit`) and, when `lineage.require_dataset_digest` is on, a dataset input
with a digest (`mlflow.log_input`).

## Why is this bad?
Without the commit and the data digest nobody can say which code and which data produced the
model that is serving traffic, reproduce it, or tell whether a data fix reached production.

## Example
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {run: r3}
runs:
  r3: {tags: {env: ci}}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {run: r3}
runs:
  r3:
    tags: {env: ci, mlflow.source.git.commit: 9f2c1e0}
    datasets: [{name: churn-2024-06, digest: 3f2a9c1d}]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule


def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    lineage = ctx.policy.lineage
    for version, aliases, run in ctx.aliased_versions(snapshot, ctx.lineage_aliases):
        if run is None:
            continue  # TC205's case
        what = f"version {version.version} of '{version.model}' ({' and '.join(aliases)})"
        if lineage.git_commit_tags and ctx.git_commit(run) is None:
            yield ctx.hit(version, "run.tags", f"{what} comes from run {run.run_id} without a "
                          f"git commit tag ({', '.join(lineage.git_commit_tags)})",
                          value="git-commit")
        if lineage.require_dataset_digest and not ctx.has_dataset_digest(run):
            yield ctx.hit(version, "run.inputs", f"{what} comes from run {run.run_id} without a "
                          "dataset input that has a digest", value="dataset-digest")


RULE = Rule("TC207", "missing-lineage", Severity.ERROR, "audit", check, __doc__ or "")

"""A live version (`prod`, `staging`) whose source run is missing, deleted or not `FINISHED`.

## What it does
For each version carrying a live alias (`aliases.live`), looks at the run it was registered
from: a version without a run, a run that no longer exists, a run in the deleted lifecycle
stage, or a run whose status is `FAILED`, `KILLED`, `RUNNING` or `SCHEDULED` is reported.

## Why is this bad?
The source run is the model's provenance: its metrics justify the promotion and its params
and tags say how to reproduce it. A failed or killed run produced a model nobody validated; a
deleted run will be garbage-collected with its artifacts, and the evidence goes with it.

## Example
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {run: r3}
runs:
  r3: {status: FAILED}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {run: r3}
runs:
  r3: {status: FINISHED, lifecycle_stage: active}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule


def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    for version, live, _run in ctx.aliased_versions(snapshot):
        problem = ctx.run_problem(snapshot, version)
        if problem is None:
            continue
        key, value, fact = problem
        names = " and ".join(live)
        yield ctx.hit(version, key, f"version {version.version} of '{version.model}' ({names}) "
                      f"{fact}", value=value)


RULE = Rule("TC205", "unhealthy-source-run", Severity.ERROR, "audit", check, __doc__ or "")

"""The source run of an aliased version breaks the run-tag policy.

## What it does
For each version that carries any alias, checks its source run's tags against the policy's
`run_tags`: keys outside `allowed`, `required` keys that are missing, and values outside
`values` (`env` from a fixed list, `debug` a boolean, ...). MLflow's own `mlflow.*` tags
are always allowed.

## Why is this bad?
Aliased versions are the ones people look at, compare and roll back to. If their runs lack
`project` or `env`, or spell `env: Prod`, dashboards and promotion checks that filter on
tags silently skip them, and nobody can tell where the model came from.

## Example
```yaml
models:
  churn:
    aliases: {staging: 3}
    versions:
      3: {run: r3}
runs:
  r3:
    tags: {project: churn, env: Prod, model_name: xgb, debug: "false", owner: bob}
```

## Use instead
```yaml
models:
  churn:
    aliases: {staging: 3}
    versions:
      3: {run: r3}
runs:
  r3:
    tags: {project: churn, env: prod, model_name: xgb, data_name: churn-2024, debug: "false"}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.detect.redact import mask
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule


def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    for version in snapshot.versions:
        run = ctx.run_of(snapshot, version) if version.aliases else None
        if run is None:
            continue  # not aliased, or TC205's case
        what = f"run {run.run_id} of version {version.version} of '{version.model}'"
        for p in ctx.tag_problems(run.tags):
            key = f"run.tags.{p.key}"
            if p.kind == "unknown":
                yield ctx.hit(version, key, f"{what} has unknown tag '{p.key}'", value="unknown")
            elif p.kind == "missing":
                yield ctx.hit(version, key, f"{what} lacks required tag '{p.key}'", value="missing")
            else:
                secret = ctx.secret_in(p.key, p.value) is not None
                shown = mask(p.value or "") if secret else p.value
                yield ctx.hit(version, key, f"{what} has tag '{p.key}' = '{shown}', outside its "
                              f"allowed values", value=p.value, secret=secret)


RULE = Rule("TC209", "run-tag-policy", Severity.ERROR, "audit", check, __doc__ or "")

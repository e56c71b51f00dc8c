"""A live version (`prod`, `staging`) trained by a debug run or in a non-promotable env.

## What it does
For each version carrying a live alias, reads its source run's tags: `debug=true` is
reported, and so is an `env` tag outside the policy's `promotable_envs` (when that is
`null`, any value allowed for `env` in `run_tags.values`).

## Why is this bad?
Debug runs train on a sample, skip validation or run with a laptop's settings; runs from a
`local` env were never reproduced by CI. Serving their model means serving something the
team never meant to ship.

## Example
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {run: r3}
runs:
  r3: {tags: {env: ci, debug: "true"}}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {run: r3}
runs:
  r3: {tags: {env: ci, debug: "false"}}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule


def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    envs = ctx.promotable_envs
    for version, live, run in ctx.aliased_versions(snapshot):
        if run is None:
            continue  # TC205's case
        what = f"version {version.version} of '{version.model}' ({' and '.join(live)})"
        if ctx.is_debug(run):
            yield ctx.hit(version, "run.tags.debug", f"{what} comes from debug run {run.run_id}",
                          value="true")
        env = run.tags.get("env")
        if env is not None and envs is not None and env not in envs:
            yield ctx.hit(version, "run.tags.env", f"{what} comes from run {run.run_id} with env "
                          f"'{env}', which is not promotable ({', '.join(sorted(envs))})",
                          value=env)


RULE = Rule("TC206", "debug-run-promoted", Severity.ERROR, "audit", check, __doc__ or "")

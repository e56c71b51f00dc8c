"""Deleting or renaming what a deployment resolves: a version or model that holds a live alias.

## What it does
At write time, refuses deleting a version that carries one of the policy's live aliases
(`aliases.live`: `prod`, `staging`), and deleting or renaming a model that has any of them.

## Why is this bad?
Deployments load `models:/churn@prod`. Deleting the version drops the alias with it, and
renaming the model changes the name in every URI: the next load, restart or scale-out fails.

## Example
```yaml
models:
  churn:
    aliases: {prod: 3}
change: {action: delete_version, version: 3}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 4, archived: 3}
change: {action: delete_version, version: 3}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.findings import Severity
from trackcheck.guard.context import Write
from trackcheck.rule import Hit, Rule


def check(write: Write, ctx: AuditContext) -> Iterator[Hit]:
    c, model = write.change, write.model
    if model is None or c.action not in ("delete_version", "delete_model", "rename_model"):
        return
    live = sorted(a for a, n in model.aliases.items() if a in ctx.live_aliases
                  and (c.action != "delete_version" or n == c.version))
    if not live:
        return
    names = " and ".join(f"'{a}'" for a in live)
    what = {"delete_version": f"version {c.version} of '{c.model}' carries {names}",
            "delete_model": f"model '{c.model}' has {names}",
            "rename_model": f"model '{c.model}' has {names}"}[c.action]
    yield write.hit("aliases", f"{what}: deployments resolve it; move or delete the alias "
                    "first", value=",".join(live))


RULE = Rule("TC303", "deployed-version-removed", Severity.ERROR, "guard", check, __doc__ or "")

"""A model version in a deprecated registry stage (`Staging`, `Production`, `Archived`).

## What it does
Reports every version whose stage is not `None`. Stages are deprecated since MLflow 2.9 in
favour of aliases; the policy's `aliases.stage_to_alias` names the alias to use instead.

## Why is this bad?
Stages and aliases are independent in MLflow: a version can be `Production` by stage and
`archived` by alias at once, and tools disagree about which one wins. Keeping both systems
alive means two sources of truth for what is deployed.

## Example
```yaml
models:
  churn:
    versions:
      3: {stage: Production}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {stage: None}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule


def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    for version in snapshot.versions:
        if not version.stage or version.stage.lower() == "none":
            continue
        alias = ctx.policy.aliases.stage_to_alias.get(version.stage)
        instead = f"; use the '{alias}' alias instead" if alias else ""
        yield ctx.hit(version, "stage", f"version {version.version} of '{version.model}' is in "
                      f"deprecated stage '{version.stage}'{instead}", value=version.stage)


RULE = Rule("TC203", "stage-in-use", Severity.ERROR, "audit", check, __doc__ or "")

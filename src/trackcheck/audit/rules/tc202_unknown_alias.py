"""A registry alias outside the policy's allowed set.

## What it does
Checks every alias in every registered model's alias map against `aliases.allowed`
(`dev`, `staging`, `prod`, `archived` by default). Aliases are case-sensitive, as in MLflow:
`Prod` is not `prod`, and the message says which allowed alias was probably meant.

## Why is this bad?
Deployments and promotion jobs resolve `models:/<name>@<alias>` by exact name. An alias
nobody's tooling knows (`champion`, `Prod`, `prod-old`) is either dead weight that confuses
the next reader or, worse, what some forgotten service still loads.

## Example
```yaml
models:
  churn:
    aliases: {Prod: 3, champion: 2}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 3, staging: 2}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule


def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    for model in snapshot.models.values():
        for alias, number in sorted(model.aliases.items()):
            if ctx.alias_allowed(alias):
                continue
            hint = ctx.alias_case_hint(alias)
            why = f" (aliases are case-sensitive: did you mean '{hint}'?)" if hint else ""
            yield ctx.hit(model, "aliases", f"alias '{alias}' of '{model.name}' (version {number}) "
                          f"is not an allowed alias{why}", value=alias)


RULE = Rule("TC202", "unknown-alias", Severity.ERROR, "audit", check, __doc__ or "")

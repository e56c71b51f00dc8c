"""One model version carries aliases that may not coexist, such as `archived` and `prod`.

## What it does
Checks every version's aliases against the policy's exclusive pairs (`aliases.exclusive`;
by default `archived` with `prod`, `staging` or `dev`) and reports each pair found together.

## Why is this bad?
MLflow accepts any number of aliases on one version, and re-pointing an alias moves it
silently. A version that is both `archived` and `prod` is still served by every deployment
that resolves `models:/churn@prod`: whoever archived it believes it is retired, and it is not.

## Example
```yaml
models:
  churn:
    aliases: {prod: 3, archived: 3}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 4, archived: 3}
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
        for a, b in ctx.conflicts(version.aliases):
            yield ctx.hit(version, "aliases", f"version {version.version} of '{version.model}' "
                          f"carries '{a}' and '{b}', which may not share a version",
                          value=f"{a},{b}")


RULE = Rule("TC201", "conflicting-aliases", Severity.ERROR, "audit", check, __doc__ or "")

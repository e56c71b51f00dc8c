"""An alias set on a version that never held the alias the promotion path puts before it.

## What it does
At write time, refuses setting an alias named in the policy's `guard.promotion` (default:
`prod: [staging]`) on a version that has never carried one of the aliases listed for it: not
now, not in the guard's ledger, and not when the guard first adopted the registry.

## Why is this bad?
`staging` is where a version is load-tested, shadowed and signed off. A version moved straight
to `prod` skipped all of it; MLflow keeps no alias history, so nobody can tell afterwards.

## Example
```yaml
models:
  churn:
    aliases: {prod: 2, staging: 2}
    versions: {3: {}}
change: {action: set_alias, alias: prod, version: 3}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 2, staging: 3}
change: {action: set_alias, alias: prod, version: 3}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.findings import Severity
from trackcheck.guard.context import Write
from trackcheck.rule import Hit, Rule


def check(write: Write, ctx: AuditContext) -> Iterator[Hit]:
    c = write.change
    first = ctx.policy.guard.promotion.get(c.alias or "")
    if c.action != "set_alias" or not first or c.version is None:
        return
    version = write.version_before(c.version)
    if version is not None and set(version.aliases) & set(first):
        return
    if write.history.held(c.model, c.version, list(first)):
        return
    need = " or ".join(f"'{a}'" for a in first)
    yield write.hit("aliases", f"version {c.version} of '{c.model}' has never held {need}: "
                    f"'{c.alias}' follows {need} (set {need} on it first)", value=c.alias)


RULE = Rule("TC301", "unstaged-promotion", Severity.ERROR, "guard", check, __doc__ or "")

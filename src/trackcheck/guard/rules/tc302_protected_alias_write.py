"""An alias the policy protects, set or deleted by someone it does not name.

## What it does
At write time, refuses setting or deleting an alias listed in `guard.protected_aliases` unless
the user making the write is one of the names listed for it. The user is the one MLflow's
basic-auth authenticated (`--app-name trackcheck-basic-auth`), or the name in the request header
`guard.actor_header` set by an authenticating proxy; a write with no known user is refused.

## Why is this bad?
Whoever moves `prod` decides what every deployment serves. MLflow lets anyone who may edit a
model move any of its aliases; a team that wants two people to own releases has no way to say so.

## Example
```yaml
models:
  churn:
    aliases: {prod: 2, staging: 3}
change: {action: set_alias, alias: prod, version: 3, actor: mallory}
protected: {prod: [alice]}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 2, staging: 3}
change: {action: set_alias, alias: prod, version: 3, actor: alice}
protected: {prod: [alice]}
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
    allowed = ctx.policy.guard.protected_aliases.get(c.alias or "")
    if not c.touches_alias or allowed is None or write.actor in allowed:
        return
    who = f"user '{write.actor}'" if write.actor else "a user trackcheck cannot identify"
    verb = "set" if c.action == "set_alias" else "delete"
    names = ", ".join(f"'{a}'" for a in allowed) or "nobody"
    yield write.hit("aliases", f"alias '{c.alias}' of '{c.model}' is protected: {who} may not "
                    f"{verb} it (allowed: {names})", value=c.alias)


RULE = Rule("TC302", "protected-alias-write", Severity.ERROR, "guard", check, __doc__ or "")

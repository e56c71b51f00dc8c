"""An alias the registry holds where the guard's ledger does not say it is: moved unguarded.

## What it does
When the tracking server runs the trackcheck guard, replays its ledger (the aliases it adopted
when it started, then every write it let through) and reports each alias whose version in the
registry differs from the ledger's last word: set, moved or deleted while the guard was not
running, or by a process that wrote to the database directly.

## Why is this bad?
The guard judges every alias write it sees. A change it did not see was judged by nobody, and
the ledger can no longer say who put the version in `prod`, or when.

## Example
```yaml
models:
  churn:
    aliases: {prod: 4}
ledger:
  - {model: "*", action: adopt}
  - {model: churn, action: set_alias, alias: prod, to_version: 3, after: {prod: 3}}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 4}
ledger:
  - {model: "*", action: adopt}
  - {model: churn, action: set_alias, alias: prod, to_version: 4, after: {prod: 4}}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule


def _on(number: int | None) -> str:
    return f"on version {number}" if number is not None else "not set"


def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    ledger = snapshot.ledger
    if not ledger or not any(e.action == "adopt" and e.model == "*" for e in ledger):
        return  # no guard, or one that has not adopted the registry: nothing to compare with
    last: dict[str, dict[str, int]] = {}
    for e in ledger:
        if not e.done or e.aliases_after is None or e.model == "*":
            continue
        if e.action == "rename_model" and e.new_name:
            last.pop(e.model, None)
            last[e.new_name] = e.aliases_after
        else:
            last[e.model] = e.aliases_after
    for model in snapshot.models.values():
        seen = last.get(model.name, {})
        for alias in sorted(set(model.aliases) | set(seen)):
            now, was = model.aliases.get(alias), seen.get(alias)
            if now == was:
                continue
            yield ctx.hit(model, f"aliases.{alias}", f"alias '{alias}' of '{model.name}' is "
                          f"{_on(now)}, but the guard's ledger last recorded it {_on(was)}: it "
                          "changed while the guard was not watching",
                          value=f"{alias}:{now}:{was}")


RULE = Rule("TC212", "alias-moved-outside-guard", Severity.ERROR, "audit", check, __doc__ or "")

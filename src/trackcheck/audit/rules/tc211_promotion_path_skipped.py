"""An alias that reached its version without the promotion path, by the guard's ledger.

## What it does
When the tracking server runs the trackcheck guard, reads its ledger and reports each alias
named in `guard.promotion` (default: `prod: [staging]`) whose version got it, after the guard
started, without having held one of the aliases listed for it before. This happens when the
guard only observed TC301, or when its policy changed since.

## Why is this bad?
The version in `prod` was never in `staging`: it skipped the checks staging stands for, and the
registry alone cannot tell. The ledger can.

## Example
```yaml
models:
  churn:
    aliases: {prod: 3}
ledger:
  - {model: churn, action: set_alias, alias: prod, to_version: 3, verdict: observed,
     after: {prod: 3}}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 3}
ledger:
  - {model: churn, action: set_alias, alias: staging, to_version: 3, after: {staging: 3}}
  - {model: churn, action: set_alias, alias: prod, to_version: 3, after: {prod: 3}}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import LedgerEntry, RegistrySnapshot
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule

_PLACED = ("set_alias", "adopt")


def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    promotion = ctx.policy.guard.promotion
    if snapshot.ledger is None or not promotion:
        return
    by_model: dict[str, list[LedgerEntry]] = {}
    for e in snapshot.ledger:
        if e.done and e.action in _PLACED:
            by_model.setdefault(e.model, []).append(e)
    for model in snapshot.models.values():
        entries = by_model.get(model.name, [])
        for alias, number in sorted(model.aliases.items()):
            first = promotion.get(alias)
            placed = [e for e in entries if e.alias == alias and e.to_version == number]
            if not first or not placed or placed[-1].action == "adopt":
                continue  # not on a path, not through the guard, or there before it started
            if any(e.alias in first and e.to_version == number and e.id < placed[-1].id
                   for e in entries):
                continue
            need = " or ".join(f"'{a}'" for a in first)
            record = snapshot.version(model.name, number) or model
            yield ctx.hit(record, "aliases", f"version {number} of '{model.name}' got "
                          f"'{alias}' without holding {need} first (ledger entry "
                          f"{placed[-1].id})", value=f"{alias}:{number}")


RULE = Rule("TC211", "promotion-path-skipped", Severity.ERROR, "audit", check, __doc__ or "")

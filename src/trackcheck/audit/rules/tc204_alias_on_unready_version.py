"""A live alias (`prod`, `staging`) on a version whose registration is not `READY`.

## What it does
Reports each version that carries one of the policy's live aliases (`aliases.live`) while its
status is `PENDING_REGISTRATION` or `FAILED_REGISTRATION` (anything but `READY`).

## Why is this bad?
A version that failed or has not finished registering may have no loadable artifacts: every
deployment that resolves the alias fails at load time, or loads a half-copied model.

## Example
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {status: FAILED_REGISTRATION}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {status: READY}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule


def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    for version, live, _run in ctx.aliased_versions(snapshot):
        if version.status.upper() == "READY":
            continue
        names = " and ".join(f"'{a}'" for a in live)
        yield ctx.hit(version, "status", f"version {version.version} of '{version.model}' carries "
                      f"{names} but its status is {version.status}",
                      value=f"{','.join(live)}:{version.status}")


RULE = Rule("TC204", "alias-on-unready-version", Severity.ERROR, "audit", check, __doc__ or "")

"""A committed `models:/name@alias` whose model or alias is missing, or that resolves to `archived`.

## What it does
With `trackcheck audit --registry --config PATH`, every `models:/` reference found in the
committed config is looked up in the registry: the model must exist, the alias must exist on
it (case-sensitive), and the version it resolves to must not be retired: carry an alias of
`aliases.retired` (`archived`) or sit in a stage that maps to one (`Archived`). Findings point
at the file, line and key of the reference.

## Why is this bad?
A deployment config that names a model or alias the registry does not have fails at load
time, in production, long after the change was merged; one that resolves to an archived
version serves a model the team has retired.

## Example
```yaml
models:
  churn:
    aliases: {prod: 3}
references:
  serve.model_uri: models:/churn@champion
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 3}
references:
  serve.model_uri: models:/churn@prod
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule


def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    for ref in ctx.config_refs:
        model = snapshot.models.get(ref.name)
        if model is None:
            yield ctx.ref_hit(ref, f"'{ref.key}' names model '{ref.name}', which the registry does "
                              "not have (or the caller may not read)", value=f"{ref.uri}|no-model")
            continue
        if ref.alias is None:
            continue
        number = model.aliases.get(ref.alias)
        if number is None:
            yield ctx.ref_hit(ref, f"'{ref.key}' names alias '{ref.alias}', which model "
                              f"'{ref.name}' does not have", value=f"{ref.uri}|no-alias")
            continue
        why = ctx.retired_by(model, number, snapshot.version(ref.name, number))
        if why:
            yield ctx.ref_hit(ref, f"'{ref.key}' resolves {ref.uri} to version {number}, which "
                              f"{why} and must not be deployed",
                              value=f"{ref.uri}|retired:{number}")


RULE = Rule("TC210", "dangling-model-reference", Severity.ERROR, "audit", check, __doc__ or "")

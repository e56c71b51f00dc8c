"""A secret or credential URI in registry tags, descriptions, or an aliased version's run.

## What it does
Runs the same classifiers as `trackcheck lint` over registry metadata: known token formats
(TC110, plus the policy's `token_patterns`), URIs with a password (TC103), and literal values
under secret-like names (TC111, the policy's `secret_key_words` / `secret_key_names`). It
reads registered-model and version tags and descriptions, and the params and tags of the
runs behind aliased versions. The value is never printed, only where it is. A run behind
several aliased versions is reported once, on the first of them (by model name, then version
number), and the message names the versions that share it (the audit judges one model at a
time: those of the same model).

## Why is this bad?
Registry metadata is readable by everyone who may load a model, is copied into model cards and
UIs, and has no secret storage behind it. A token logged as a run param (often a whole
resolved Hydra config) is a leaked credential that must be rotated.

## Example
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {run: r3}
runs:
  r3:
    params: {db.password: hunter2-but-longer}
```

## Use instead
```yaml
models:
  churn:
    aliases: {prod: 3}
    versions:
      3: {run: r3}
runs:
  r3:
    params: {db.password_env: DB_PASSWORD}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import ModelRecord, RegistrySnapshot, VersionRecord
from trackcheck.findings import Severity
from trackcheck.rule import Hit, Rule

Place = tuple[str, str | None, str | None]  # (registry field, name for the key test, value)


def _fields(prefix: str, items: dict[str, str]) -> list[Place]:
    return [(f"{prefix}.{k}", k, v) for k, v in sorted(items.items())]


def _shared_runs(snapshot: RegistrySnapshot, ctx: AuditContext) -> dict[str, list[VersionRecord]]:
    """Run id -> the aliased versions it is behind, first (model, version) first."""
    by_run: dict[str, list[VersionRecord]] = {}
    for v, _aliases, run in ctx.aliased_versions(snapshot, lambda v: v.aliases):
        if run is not None:
            by_run.setdefault(run.run_id, []).append(v)
    for versions in by_run.values():
        versions.sort(key=lambda v: (v.model, v.version))
    return by_run


def _places(snapshot: RegistrySnapshot, ctx: AuditContext
            ) -> Iterator[tuple[ModelRecord | VersionRecord, str, list[Place]]]:
    for m in snapshot.models.values():
        places = [*_fields("tags", m.tags), ("description", None, m.description)]
        yield m, f"model '{m.name}'", places
    shared = _shared_runs(snapshot, ctx)
    for v in snapshot.versions:
        owner = f"version {v.version} of '{v.model}'"
        yield v, owner, [*_fields("tags", v.tags), ("description", None, v.description)]
        run = ctx.run_of(snapshot, v)
        users = shared.get(run.run_id, []) if run is not None else []
        if run is None or not users or users[0] is not v or run.run_id in ctx.runs_read:
            continue  # no aliased version's run, or reported on the first version behind it
        ctx.runs_read.add(run.run_id)
        if len(users) > 1:
            others = ", ".join(f"version {u.version} of '{u.model}'" for u in users[1:])
            owner += f" (run {run.run_id}, shared with {others})"
        yield v, owner, _fields("run.params", run.params) + _fields("run.tags", run.tags)

def check(snapshot: RegistrySnapshot, ctx: AuditContext) -> Iterator[Hit]:
    for record, owner, places in _places(snapshot, ctx):
        for key, name, value in places:
            found = ctx.secret_in(name, value)
            if found:
                what, raw = found
                yield ctx.hit(record, key, f"{what} in '{key}' of {owner}", value=raw, secret=True)


RULE = Rule("TC208", "registry-secret", Severity.ERROR, "audit", check, __doc__ or "")

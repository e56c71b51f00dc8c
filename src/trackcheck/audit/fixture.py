"""Registry state written as a small YAML description: the live rules' docs and unit tests use it.

```yaml
models:
  churn:
    aliases: {prod: 3, archived: 3}     # alias -> version
    tags: {team: ml}
    description: Churn classifier
    versions:
      3: {stage: None, status: READY, run: r3, tags: {}, description: null}
runs:
  r3:
    status: FINISHED                     # default FINISHED
    lifecycle_stage: active              # default active
    tags: {env: prod, debug: "false"}
    params: {lr: "0.1"}
    datasets: [{name: churn-2024, digest: 3f2a9c}]
references:                              # committed models:/ references (TC210)
  serve.model_uri: models:/churn@prod
ledger:                                  # the guard's ledger (TC211, TC212), oldest first
  - {model: churn, action: adopt, alias: prod, to_version: 2, after: {prod: 2}}
  - {model: churn, action: set_alias, alias: prod, to_version: 3, after: {prod: 3}}
```

A ledger entry's ``verdict`` defaults to ``allowed`` (``adopted`` for ``adopt``), its
``outcome`` to ``ok``; ``after`` is the model's alias map once the write was done. Without a
``ledger`` key the registry has no guard.

Versions an alias points to but ``versions`` leaves out are READY, stage ``None``, without a
run. Like the real source, the runs of aliased versions are the "wanted" ones: a wanted run
missing from ``runs`` does not exist.
"""

from __future__ import annotations

from typing import Any

import yaml

from trackcheck.audit.context import ConfigRef
from trackcheck.audit.records import (
    DatasetInput,
    LedgerEntry,
    ModelRecord,
    RegistrySnapshot,
    RunRecord,
    VersionRecord,
)
from trackcheck.detect.uris import parse_model_uri

REFERENCES_PATH = "config/snippet.yaml"


def _load(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValueError("a registry description is a mapping with 'models', 'runs', 'references'")
    unknown = set(data) - {"models", "runs", "references", "ledger"}
    if unknown:
        raise ValueError(f"unknown top-level key(s) in registry description: {sorted(unknown)}")
    return data


def _strs(d: Any) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in (d or {}).items()}


def _run(run_id: str, spec: dict[str, Any] | None) -> RunRecord:
    spec = spec or {}
    datasets = tuple(DatasetInput(name=str(d.get("name", "")), digest=d.get("digest"),
                                  source=d.get("source")) for d in spec.get("datasets") or ())
    return RunRecord(run_id=run_id, status=str(spec.get("status", "FINISHED")),
                     lifecycle_stage=str(spec.get("lifecycle_stage", "active")),
                     tags=_strs(spec.get("tags")), params=_strs(spec.get("params")),
                     datasets=datasets)


def snapshot_from_yaml(text: str) -> RegistrySnapshot:
    """Build the snapshot an audit of the described registry would read."""
    data = _load(text)
    snap = RegistrySnapshot(registry="fixture")
    for name, spec in (data.get("models") or {}).items():
        spec = spec or {}
        name = str(name)
        aliases = {str(a): int(v) for a, v in (spec.get("aliases") or {}).items()}
        snap.models[name] = ModelRecord(name=name, aliases=aliases, tags=_strs(spec.get("tags")),
                                        description=spec.get("description"))
        listed = {int(k): v or {} for k, v in (spec.get("versions") or {}).items()}
        for number in sorted(set(listed) | set(aliases.values())):
            v = listed.get(number, {})
            run_id = v.get("run")
            snap.versions.append(VersionRecord(
                model=name, version=number, stage=str(v.get("stage", "None")),
                status=str(v.get("status", "READY")), run_id=str(run_id) if run_id else None,
                source=v.get("source"), tags=_strs(v.get("tags")), description=v.get("description"),
                aliases=tuple(sorted(a for a, n in aliases.items() if n == number))))
    for run_id, spec in (data.get("runs") or {}).items():
        snap.runs[str(run_id)] = _run(str(run_id), spec)
    snap.wanted_runs = {v.run_id for v in snap.versions if v.aliases and v.run_id}
    if "ledger" in data:
        snap.ledger = tuple(_entry(i, e) for i, e in enumerate(data["ledger"] or (), 1))
    return snap


def _entry(number: int, spec: dict[str, Any]) -> LedgerEntry:
    action = str(spec.get("action", "set_alias"))
    after = spec.get("after")
    return LedgerEntry(
        id=number, model=str(spec["model"]), action=action,
        verdict=str(spec.get("verdict", "adopted" if action == "adopt" else "allowed")),
        outcome=str(spec.get("outcome", "ok")), alias=spec.get("alias"),
        to_version=spec.get("to_version"), new_name=spec.get("new_name"),
        aliases_after={str(a): int(v) for a, v in after.items()} if after is not None else None)


def config_refs_from_yaml(text: str) -> tuple[ConfigRef, ...]:
    """The ``references`` of a registry description, as if found in ``config/snippet.yaml``
    (one per line, in order)."""
    refs = []
    for i, (key, uri) in enumerate((_load(text).get("references") or {}).items(), 1):
        parsed = parse_model_uri(str(uri))
        if parsed is None or not parsed["name"]:
            raise ValueError(f"reference '{key}' is not a models:/ URI")
        refs.append(ConfigRef(path=REFERENCES_PATH, line=i, column=1, key=str(key),
                              name=str(parsed["name"]), alias=parsed["alias"]))
    return tuple(refs)

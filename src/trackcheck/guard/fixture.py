"""A write described in YAML, on top of a registry description: the guard rules' docs and tests.

```yaml
models: {churn: {aliases: {staging: 3}}}      # as in trackcheck.audit.fixture
change: {action: set_alias, alias: prod, version: 3, actor: alice}
held: {3: [staging]}                           # aliases the ledger says each version held
protected: {prod: [alice]}                     # guard.protected_aliases for this example
```
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import yaml

from trackcheck.audit.fixture import snapshot_from_yaml
from trackcheck.guard.changes import Change, apply
from trackcheck.guard.context import Write
from trackcheck.policy import Policy


class _Held:
    def __init__(self, held: dict[int, list[str]]):
        self._held = held

    def held(self, model: str, version: int, aliases: list[str]) -> bool:
        return bool(set(self._held.get(version, ())) & set(aliases))


def write_from_yaml(text: str, policy: Policy) -> tuple[Write, Policy]:
    data: dict[str, Any] = yaml.safe_load(text) or {}
    spec = dict(data.pop("change", None) or {})
    held = {int(k): list(v) for k, v in (data.pop("held", None) or {}).items()}
    protected = data.pop("protected", None)
    if protected is not None:
        policy = replace(policy, guard=replace(policy.guard, protected_aliases=protected))
    before = snapshot_from_yaml(yaml.safe_dump(data))
    actor = spec.pop("actor", None)
    model = spec.pop("model", None) or next(iter(before.models), "model")
    change = Change(model=model, **spec)
    return Write(change, before, apply(change, before), actor, _Held(held)), policy

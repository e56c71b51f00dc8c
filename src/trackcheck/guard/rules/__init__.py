"""The rules that exist only at write time: one module per rule, registered here in code order."""

from __future__ import annotations

import importlib
import pkgutil

from trackcheck.rule import Rule


def _load() -> tuple[Rule, ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("tc"):
            found.append(importlib.import_module(f"{__name__}.{info.name}").RULE)
    return tuple(sorted(found, key=lambda r: r.code))


RULES: tuple[Rule, ...] = _load()

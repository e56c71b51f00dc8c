"""The rules that exist only at write time: one module per rule, registered here in code order."""

from __future__ import annotations

from trackcheck.rule import Rule, load_rules

RULES: tuple[Rule, ...] = load_rules(__name__, __path__)

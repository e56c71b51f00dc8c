"""A rule: stable code, kebab-case name, default severity, the check, and its documentation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from trackcheck.findings import Severity


@dataclass(frozen=True)
class Hit:
    """What a rule reports; the engine stamps code, name, severity and fingerprint on it.

    ``value`` is the offending value: hashed into the fingerprint and scrubbed from
    every output, never printed. ``secret`` marks it as a value that must never appear.
    """

    message: str
    path: str
    key: str
    line: int | None = None
    column: int | None = None
    value: str | None = None
    secret: bool = False


Check = Callable[[Any, Any], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    engine: Literal["lint", "audit", "guard"]
    check: Check
    doc: str

    @property
    def summary(self) -> str:
        """First line of the doc: what the rule flags."""
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.name

    def section(self, title: str) -> str:
        """Body of one doc section (e.g. ``Example``), without its heading."""
        return doc_sections(self.doc).get(title, "")

    def first_yaml_block(self, title: str) -> str | None:
        """The first fenced ```yaml block of a doc section (docs-as-tests read these)."""
        m = re.search(r"```ya?ml\n(.*?)```", self.section(title), re.S)
        return m.group(1) if m else None


_HEADING = re.compile(r"^## (.+)$", re.M)


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into its ``## What it does`` / ``## Why is this bad?`` / ... parts."""
    parts = _HEADING.split(doc)
    return {parts[i].strip(): parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}


REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


def load_rules(package: str, path: Iterable[str]) -> tuple[Rule, ...]:
    """The ``RULE`` of every ``tcNNN_*`` module of a rules package, in code order (each
    engine's ``rules/__init__.py`` registers its rules with this)."""
    import importlib
    import pkgutil

    found = [importlib.import_module(f"{package}.{info.name}").RULE
             for info in pkgutil.iter_modules(path) if info.name.startswith("tc")]
    return tuple(sorted(found, key=lambda r: r.code))

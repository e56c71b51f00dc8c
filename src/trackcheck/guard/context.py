"""What a write-time rule sees: the write, the model before and after it, who asks, its history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from trackcheck.audit.records import ModelRecord, RegistrySnapshot, VersionRecord
from trackcheck.guard.changes import Change
from trackcheck.rule import Hit


class History(Protocol):
    """What the ledger knows about a model's past (the guard's ledger, or a test's table)."""

    def held(self, model: str, version: int, aliases: list[str]) -> bool: ...


class NoHistory:
    def held(self, model: str, version: int, aliases: list[str]) -> bool:
        return False


@dataclass(frozen=True)
class Write:
    change: Change
    before: RegistrySnapshot
    after: RegistrySnapshot
    actor: str | None  # the authenticated user, or the trusted header's name; None: unknown
    history: History

    @property
    def model(self) -> ModelRecord | None:
        return self.before.models.get(self.change.model)

    def version_before(self, number: int | None) -> VersionRecord | None:
        return self.before.version(self.change.model, number) if number is not None else None

    def alias_before(self, alias: str | None) -> int | None:
        model = self.model
        return model.aliases.get(alias) if model is not None and alias else None

    def hit(self, key: str, message: str, value: str | None = None) -> Hit:
        c = self.change
        path = f"models:/{c.model}/{c.version}" if c.version is not None else f"models:/{c.model}"
        return Hit(message=message, path=path, key=key, value=value)

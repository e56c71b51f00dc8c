"""Registry state as the HTML report and snapshots show it: per model, each version at a glance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from trackcheck.findings import Finding

Clean = Callable[[str], str]  # a scrubber: masks secrets in one text


@dataclass(frozen=True, slots=True)
class VersionState:
    """One model version at a glance. Run facts are known only for versions whose source run
    the audit read (those that carry an alias): elsewhere ``run_status`` is ``unread`` and
    ``debug``/``lineage`` are None."""

    number: int
    status: str  # READY | PENDING_REGISTRATION | FAILED_REGISTRATION
    stage: str  # "None" | "Staging" | "Production" | "Archived"
    aliases: tuple[str, ...]
    retired: bool  # carries a retired alias (archived) or sits in a stage that maps to one
    run_id: str | None = None
    run_status: str = "unread"  # FINISHED, FAILED, ... | deleted | missing | none | unread
    debug: bool | None = None
    lineage: tuple[str, ...] | None = None  # what lineage the run lacks; () complete
    tags: tuple[tuple[str, str], ...] = ()  # secret values already masked
    description: str | None = None
    findings: tuple[Finding, ...] = ()  # reported on this version (models:/<name>/<number>)

    def scrubbed(self, clean: Clean, one: Callable[[Finding], Finding]) -> VersionState:
        return replace(
            self, aliases=tuple(clean(a) for a in self.aliases),
            run_id=None if self.run_id is None else clean(self.run_id),
            tags=tuple((clean(k), clean(v)) for k, v in self.tags),
            description=None if self.description is None else clean(self.description),
            findings=tuple(one(f) for f in self.findings))


@dataclass(frozen=True, slots=True)
class ModelState:
    """One registered model: its aliases, its versions (by number) and its own findings."""

    name: str
    aliases: tuple[tuple[str, int], ...]  # (alias, version), sorted by alias
    versions: tuple[VersionState, ...]
    tags: tuple[tuple[str, str], ...] = ()
    description: str | None = None
    findings: tuple[Finding, ...] = ()  # reported on the model itself (models:/<name>)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}"

    def scrubbed(self, clean: Clean, one: Callable[[Finding], Finding]) -> ModelState:
        return replace(
            self, name=clean(self.name), aliases=tuple((clean(a), n) for a, n in self.aliases),
            versions=tuple(v.scrubbed(clean, one) for v in self.versions),
            tags=tuple((clean(k), clean(v)) for k, v in self.tags),
            description=None if self.description is None else clean(self.description),
            findings=tuple(one(f) for f in self.findings))


def utc_text(epoch: object) -> str:
    """Seconds since the epoch as people read them (``2026-11-30 08:15:02Z``); ``?`` if not."""
    from datetime import datetime, timezone

    try:
        return datetime.fromtimestamp(float(epoch), timezone.utc).strftime(  # type: ignore[arg-type]
            "%Y-%m-%d %H:%M:%SZ")
    except (TypeError, ValueError, OverflowError, OSError):
        return "?"


@dataclass(frozen=True, slots=True)
class AliasMove:
    """One alias write the guard let through (its ledger): ``old``/``new`` None when the alias
    was set for the first time or deleted."""

    time: float | None
    alias: str
    old: int | None
    new: int | None
    who: str | None = None

    def scrubbed(self, clean: Clean) -> AliasMove:
        return replace(self, alias=clean(self.alias),
                       who=None if self.who is None else clean(self.who))


@dataclass
class RegistryState:
    """What an audit saw, model by model; the audit appends each model once it is judged.

    ``lifecycle`` is the policy's allowed aliases in its order (``dev``, ``staging``, ``prod``,
    ``archived``): the columns the report lays versions out by."""

    registry: str  # masked URI
    lifecycle: tuple[str, ...]
    retired: tuple[str, ...] = ()
    models: list[ModelState] = field(default_factory=list)
    # model name -> its alias moves, oldest first, when the server runs the guard
    history: dict[str, tuple[AliasMove, ...]] = field(default_factory=dict)

    def scrubbed(self, clean: Clean, one: Callable[[Finding], Finding]) -> RegistryState:
        return replace(self, registry=clean(self.registry),
                       models=[m.scrubbed(clean, one) for m in self.models],
                       history={clean(k): tuple(e.scrubbed(clean) for e in v)
                                for k, v in self.history.items()})

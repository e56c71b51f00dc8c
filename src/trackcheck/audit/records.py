"""Plain records of registry state: what the live rules see (no mlflow types ever reach a rule)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DatasetInput:
    name: str
    digest: str | None
    source: str | None = None


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    status: str  # FINISHED | FAILED | KILLED | RUNNING | SCHEDULED
    lifecycle_stage: str  # active | deleted
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    datasets: tuple[DatasetInput, ...] = ()


@dataclass(frozen=True)
class VersionRecord:
    model: str
    version: int  # normalised: a server sends strings, SQLite ints
    stage: str  # "None" | "Staging" | "Production" | "Archived"
    status: str  # READY | PENDING_REGISTRATION | FAILED_REGISTRATION
    run_id: str | None
    source: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    aliases: tuple[str, ...] = ()  # filled from the model's alias map

    @property
    def uri(self) -> str:
        return f"models:/{self.model}/{self.version}"


@dataclass(frozen=True)
class ModelRecord:
    name: str
    aliases: dict[str, int] = field(default_factory=dict)  # alias -> version
    tags: dict[str, str] = field(default_factory=dict)
    description: str | None = None

    @property
    def uri(self) -> str:
        return f"models:/{self.name}"


@dataclass(frozen=True)
class LedgerEntry:
    """One write the guard recorded (``trackcheck.guard.ledger``), as the audit reads it back."""

    id: int
    model: str
    action: str  # set_alias | delete_alias | adopt | rename_model | ...
    verdict: str  # allowed | observed | denied | adopted
    outcome: str | None  # ok | refused | pending | MLflow's error code
    alias: str | None = None
    to_version: int | None = None
    from_version: int | None = None
    new_name: str | None = None  # rename_model
    time: float | None = None  # seconds since the epoch
    actor: str | None = None
    aliases_after: dict[str, int] | None = None  # the model's aliases once the write was done

    @property
    def done(self) -> bool:
        return self.outcome == "ok"


@dataclass
class RegistrySnapshot:
    """What one audit read, whole or one model at a time (a piece: one model, its versions);
    ``runs`` holds the source runs of aliased versions only.

    A run id in ``wanted_runs`` but missing from ``runs`` was not found (deleted for good)."""

    registry: str  # masked URI of the registry that was read
    models: dict[str, ModelRecord] = field(default_factory=dict)
    versions: list[VersionRecord] = field(default_factory=list)
    runs: dict[str, RunRecord] = field(default_factory=dict)
    wanted_runs: set[str] = field(default_factory=set)
    requests: int = 0  # HTTP requests (or store calls) the read took
    # the guard's ledger, oldest first, when the server keeps one; None: no guard there
    ledger: tuple[LedgerEntry, ...] | None = None

    def versions_of(self, model: str) -> list[VersionRecord]:
        return [v for v in self.versions if v.model == model]

    def version(self, model: str, number: int) -> VersionRecord | None:
        return next((v for v in self.versions if v.model == model and v.version == number), None)

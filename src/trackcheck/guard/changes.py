"""A registry write as plain data, and the state of one model it would produce (pure: no mlflow)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from trackcheck.audit.records import ModelRecord, RegistrySnapshot, VersionRecord

# action -> how a message names it (``setting alias 'prod' of 'churn' to version 3``)
ACTIONS: dict[str, str] = {
    "create_model": "creating model",
    "update_model": "updating the description of model",
    "rename_model": "renaming model",
    "delete_model": "deleting model",
    "set_model_tag": "setting a tag on model",
    "delete_model_tag": "deleting a tag of model",
    "create_version": "registering a version of model",
    "update_version": "updating the description of a version of model",
    "transition_stage": "moving a version to a stage in model",
    "delete_version": "deleting a version of model",
    "set_version_tag": "setting a tag on a version of model",
    "delete_version_tag": "deleting a tag of a version of model",
    "set_alias": "setting an alias of model",
    "delete_alias": "deleting an alias of model",
}


@dataclass(frozen=True)
class Change:
    """One registry write. ``value``, ``tags`` and ``description`` are judged (a secret in a tag
    is TC208) and never recorded; the ledger keeps names, keys and version numbers only."""

    action: str
    model: str
    version: int | None = None
    alias: str | None = None
    key: str | None = None  # tag key
    value: str | None = None  # tag value
    stage: str | None = None
    archive_existing: bool = False
    new_name: str | None = None
    run_id: str | None = None
    source: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    description: str | None = None

    @property
    def touches_alias(self) -> bool:
        return self.action in ("set_alias", "delete_alias")

    def describe(self, from_version: int | None = None) -> str:
        """What the write does, for messages: names, aliases and numbers, never values."""
        m = f"'{self.model}'"
        if self.action == "set_alias":
            was = f" (from version {from_version})" if from_version is not None else ""
            return f"setting alias '{self.alias}' of {m} to version {self.version}{was}"
        if self.action == "delete_alias":
            was = f" (on version {from_version})" if from_version is not None else ""
            return f"deleting alias '{self.alias}' of {m}{was}"
        if self.action == "transition_stage":
            return f"moving version {self.version} of {m} to stage '{self.stage}'"
        if self.action == "rename_model":
            return f"renaming model {m} to '{self.new_name}'"
        if self.action in ("delete_version", "update_version", "set_version_tag",
                           "delete_version_tag"):
            what = ACTIONS[self.action].replace("a version of model", f"version {self.version} of")
            key = f" ('{self.key}')" if self.key else ""
            return f"{what} {m}{key}"
        key = f" ('{self.key}')" if self.key else ""
        return f"{ACTIONS.get(self.action, self.action)} {m}{key}"


def _versions(snap: RegistrySnapshot, model: str) -> dict[int, VersionRecord]:
    return {v.version: v for v in snap.versions if v.model == model}


def _with_aliases(model: ModelRecord, versions: dict[int, VersionRecord]
                  ) -> dict[int, VersionRecord]:
    """Versions whose ``aliases`` agree with the model's alias map again."""
    held: dict[int, list[str]] = {}
    for alias, number in model.aliases.items():
        held.setdefault(number, []).append(alias)
    return {n: replace(v, aliases=tuple(sorted(held.get(n, ())))) for n, v in versions.items()}


def apply(change: Change, before: RegistrySnapshot) -> RegistrySnapshot:
    """The state of ``change.model`` once the write is done, as the audit would read it; runs are
    carried over (the caller adds the runs of versions that newly carry an alias)."""
    name = change.model
    model = before.models.get(name) or ModelRecord(name=name)
    versions = _versions(before, name)
    act = change.action
    if act == "create_model":
        model = ModelRecord(name=name, tags=dict(change.tags), description=change.description)
    elif act == "update_model":
        model = replace(model, description=change.description)
    elif act == "set_model_tag" and change.key is not None:
        model = replace(model, tags={**model.tags, change.key: change.value or ""})
    elif act == "delete_model_tag":
        model = replace(model, tags={k: v for k, v in model.tags.items() if k != change.key})
    elif act == "set_alias" and change.alias and change.version is not None:
        model = replace(model, aliases={**model.aliases, change.alias: change.version})
    elif act == "delete_alias":
        model = replace(model, aliases={a: n for a, n in model.aliases.items()
                                        if a != change.alias})
    elif act == "create_version" and change.version is not None:
        versions[change.version] = VersionRecord(
            model=name, version=change.version, stage="None", status="READY",
            run_id=change.run_id, source=change.source, tags=dict(change.tags),
            description=change.description)
    elif act == "delete_version" and change.version is not None:
        versions.pop(change.version, None)  # MLflow drops the aliases that pointed at it
        model = replace(model, aliases={a: n for a, n in model.aliases.items()
                                        if n != change.version})
    elif change.version in versions:
        v = versions[change.version]  # type: ignore[index]
        if act == "update_version":
            v = replace(v, description=change.description)
        elif act == "set_version_tag" and change.key is not None:
            v = replace(v, tags={**v.tags, change.key: change.value or ""})
        elif act == "delete_version_tag":
            v = replace(v, tags={k: x for k, x in v.tags.items() if k != change.key})
        elif act == "transition_stage" and change.stage is not None:
            v = replace(v, stage=change.stage)
            if change.archive_existing and change.stage in ("Staging", "Production"):
                for n, other in list(versions.items()):
                    if n != v.version and other.stage == change.stage:
                        versions[n] = replace(other, stage="Archived")
        versions[v.version] = v
    after = RegistrySnapshot(registry=before.registry, runs=dict(before.runs))
    if act in ("delete_model",):
        return after
    if act == "rename_model" and change.new_name:
        model = replace(model, name=change.new_name)
        versions = {n: replace(v, model=change.new_name) for n, v in versions.items()}
    after.models[model.name] = model
    after.versions = sorted(_with_aliases(model, versions).values(), key=lambda v: v.version)
    after.wanted_runs = {v.run_id for v in after.versions if v.aliases and v.run_id}
    return after

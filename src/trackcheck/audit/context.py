"""What every live rule needs from the policy, precomputed once per audit, and the Hit builders."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations

from trackcheck.audit.records import ModelRecord, RegistrySnapshot, RunRecord, VersionRecord
from trackcheck.detect.keys import is_stand_in
from trackcheck.detect.uris import credential_in_uri, uri_kind
from trackcheck.policy import Policy
from trackcheck.rule import Hit

# registry values that hold no secret: MLflow logs ``None`` as "None"; flags; "${...}" is an
# unresolved interpolation logged as written
_EMPTY = frozenset({"", "none", "null", "???", "true", "false"})


@dataclass(frozen=True)
class ConfigRef:
    """A committed ``models:/name@alias`` reference that TC210 checks against the registry."""

    path: str
    line: int | None
    column: int | None
    key: str
    name: str
    alias: str | None = None

    @property
    def uri(self) -> str:
        return f"models:/{self.name}@{self.alias}" if self.alias else f"models:/{self.name}"


@dataclass(frozen=True)
class TagProblem:
    """One way a run's tags break the run-tag policy (TC209)."""

    key: str
    kind: str  # unknown | missing | bad-value
    value: str | None = None


def is_placeholder(value: str) -> bool:
    """A registry value that holds no secret itself, as lint's TC111 judges it: empty, None,
    a flag, a path (the file a secret lives in), a stand-in (``$PW``, ``****``) or ``${...}``."""
    v = value.strip()
    return (v.lower() in _EMPTY or is_stand_in(v) or uri_kind(v) == "path"
            or (v.startswith("${") and v.endswith("}")))


class AuditContext:
    """The per-audit view of the policy the TC2xx rules need; ``config_refs`` feed TC210."""

    def __init__(self, policy: Policy, config_refs: Sequence[ConfigRef] = ()):
        self.policy = policy
        self.config_refs: tuple[ConfigRef, ...] = tuple(config_refs)
        # runs whose params and tags TC208 has read in this audit: a run shared by versions of
        # several models is reported once, when the audit is judged one model at a time too
        self.runs_read: set[str] = set()

    def with_refs(self, refs: Sequence[ConfigRef]) -> AuditContext:
        """This context (the same audit: ``runs_read`` is shared) with other references."""
        other = copy.copy(self)
        other.config_refs = tuple(refs)
        return other

    # --- aliases ----------------------------------------------------------------------
    @cached_property
    def live_aliases(self) -> frozenset[str]:
        return frozenset(self.policy.aliases.live)

    @cached_property
    def exclusive_pairs(self) -> tuple[tuple[str, str], ...]:
        """Every pair of aliases that may not share a version; a group of three or more in
        ``aliases.exclusive`` forbids each of its pairs."""
        pairs = {tuple(sorted(p)) for group in self.policy.aliases.exclusive
                 for p in combinations(dict.fromkeys(group), 2)}
        return tuple(sorted(pairs))  # type: ignore[arg-type]

    def conflicts(self, aliases: Iterable[str]) -> list[tuple[str, str]]:
        have = set(aliases)
        return [p for p in self.exclusive_pairs if p[0] in have and p[1] in have]

    def live(self, version: VersionRecord) -> tuple[str, ...]:
        """The live aliases (``prod``, ``staging`` by default) the version carries, sorted."""
        return tuple(sorted(a for a in version.aliases if a in self.live_aliases))

    def lineage_aliases(self, version: VersionRecord) -> tuple[str, ...]:
        need = set(self.policy.lineage.required_for)
        return tuple(sorted(a for a in version.aliases if a in need))

    def alias_allowed(self, alias: str) -> bool:
        return self.policy.alias_allowed(alias)

    def alias_case_hint(self, alias: str) -> str | None:
        """The allowed alias this one differs from only by case (``Prod`` → ``prod``)."""
        return next((a for a in self.policy.aliases.allowed if a.lower() == alias.lower()), None)

    def retired_by(self, model: ModelRecord, number: int, version: VersionRecord | None
                   ) -> str | None:
        """What marks version ``number`` retired: a retired alias (``aliases.retired``) on it, or
        a stage that maps to one (``Archived``); None when it is fit to deploy."""
        retired = self.policy.aliases.retired
        alias = next((a for a in retired if model.aliases.get(a) == number), None)
        if alias is not None:
            return f"carries '{alias}'"
        stage = version.stage if version is not None else "None"
        if self.policy.aliases.stage_to_alias.get(stage) in retired:
            return f"is in stage '{stage}'"
        return None

    # --- runs -------------------------------------------------------------------------
    @staticmethod
    def run_of(snapshot: RegistrySnapshot, version: VersionRecord) -> RunRecord | None:
        return snapshot.runs.get(version.run_id) if version.run_id else None

    def aliased_versions(
        self, snapshot: RegistrySnapshot,
        which: Callable[[VersionRecord], tuple[str, ...]] | None = None,
    ) -> Iterator[tuple[VersionRecord, tuple[str, ...], RunRecord | None]]:
        """The versions that carry an alias of interest (``which``: the live ones by default),
        with those aliases and their source run (None: no run, or one that was not found)."""
        for version in snapshot.versions:
            aliases = (which or self.live)(version)
            if aliases:
                yield version, aliases, self.run_of(snapshot, version)

    @staticmethod
    def run_problem(snapshot: RegistrySnapshot, version: VersionRecord
                    ) -> tuple[str, str, str] | None:
        """Why the version's source run is unhealthy, as (registry field, value, fact), or None.
        A run that was never looked up is not judged."""
        rid = version.run_id
        if not rid:
            return "run_id", "none", "has no source run"
        run = snapshot.runs.get(rid)
        if run is None:
            if rid in snapshot.wanted_runs:
                return "run_id", rid, f"comes from run {rid}, which no longer exists"
            return None
        if run.lifecycle_stage.lower() == "deleted":
            return "run.lifecycle_stage", "deleted", f"comes from run {rid}, which is deleted"
        if run.status.upper() != "FINISHED":
            return "run.status", run.status, f"comes from run {rid}, whose status is {run.status}"
        return None

    @cached_property
    def promotable_envs(self) -> frozenset[str] | None:
        """Envs whose runs may back a live alias; None means any (no rule for ``env`` at all)."""
        if self.policy.promotable_envs is not None:
            return frozenset(self.policy.promotable_envs)
        allowed = self.policy.run_tags.values.get("env")
        return frozenset(allowed) if isinstance(allowed, list) else None

    @staticmethod
    def is_debug(run: RunRecord) -> bool:
        return run.tags.get("debug", "").strip().lower() in ("true", "1", "yes")

    def git_commit(self, run: RunRecord) -> str | None:
        """The first lineage git-commit tag the run carries with a value."""
        tags = self.policy.lineage.git_commit_tags
        return next((t for t in tags if run.tags.get(t, "").strip()), None)

    @staticmethod
    def has_dataset_digest(run: RunRecord) -> bool:
        return any(d.digest for d in run.datasets)

    def tag_problems(self, tags: dict[str, str]) -> Iterator[TagProblem]:
        """Unknown keys, bad values, missing required keys; ``mlflow.*`` tags are MLflow's own."""
        rt = self.policy.run_tags
        allowed = set(rt.allowed) | set(rt.required) | set(rt.values)
        for key in sorted(tags):
            if key.startswith("mlflow."):
                continue
            if rt.allowed and key not in allowed:
                yield TagProblem(key, "unknown")
            elif not self.policy.run_tag_value_ok(key, tags[key]):
                yield TagProblem(key, "bad-value", tags[key])
        for key in rt.required:
            if key not in tags:
                yield TagProblem(key, "missing")

    # --- secrets ----------------------------------------------------------------------
    def secret_in(self, name: str | None, value: str | None) -> tuple[str, str] | None:
        """What secret a registry value holds, as (what, raw secret), or None: a known token
        format, a credential URI, or a literal under a secret-like key name. The same
        classifiers as lint's TC110/TC103/TC111."""
        if not value:
            return None
        token = self.policy.find_token(value)
        if token:
            return token
        m = credential_in_uri(value)
        if m:
            return "credential URI", m.group(0)
        if name and self.policy.is_secret_key(name) and not is_placeholder(value):
            return "literal value under a secret-like name", value
        return None

    # --- hits -------------------------------------------------------------------------
    @staticmethod
    def hit(record: VersionRecord | ModelRecord, key: str, message: str, value: str | None = None,
            *, secret: bool = False) -> Hit:
        """A finding on a version (``models:/name/3``) or a model (``models:/name``)."""
        return Hit(message=message, path=record.uri, key=key, value=value, secret=secret)

    @staticmethod
    def ref_hit(ref: ConfigRef, message: str, value: str) -> Hit:
        return Hit(message=message, path=ref.path, key=ref.key, line=ref.line, column=ref.column,
                   value=value)

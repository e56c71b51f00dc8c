"""Build the report's registry state from a snapshot and its findings, one model at a time.

``model_states`` takes a snapshot holding one or more models and the findings the live rules
made on them, and yields one compact :class:`~trackcheck.state.ModelState` per model: an audit
that reads the registry model by model calls it once per model and keeps only the states.
Cost is linear: versions and findings are grouped once, never searched per model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, MutableSet

from trackcheck.audit.context import AuditContext
from trackcheck.audit.records import ModelRecord, RegistrySnapshot, VersionRecord
from trackcheck.detect.redact import mask
from trackcheck.findings import Finding
from trackcheck.state import ModelState, VersionState


def model_states(snapshot: RegistrySnapshot, findings: Iterable[Finding], ctx: AuditContext,
                 secrets: MutableSet[str]) -> Iterator[ModelState]:
    """One state per model of ``snapshot``, by name; secrets found in the tags and descriptions
    shown are masked there and added to ``secrets`` (the report's, so every output masks them)."""
    versions: dict[str, list[VersionRecord]] = defaultdict(list)
    for v in snapshot.versions:
        versions[v.model].append(v)
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(findings, key=Finding.sort_key):
        if f.path.startswith("models:/"):
            by_path[f.path].append(f)
    for name in sorted(snapshot.models.keys() | versions.keys()):
        model = snapshot.models.get(name) or ModelRecord(name=name)
        yield _model(snapshot, model, versions.get(name, []), by_path, ctx, secrets)


def _model(snapshot: RegistrySnapshot, model: ModelRecord, versions: list[VersionRecord],
           by_path: dict[str, list[Finding]], ctx: AuditContext,
           secrets: MutableSet[str]) -> ModelState:
    rows = tuple(_version(snapshot, model, v, by_path, ctx, secrets)
                 for v in sorted(versions, key=lambda v: v.version))
    return ModelState(
        name=model.name, aliases=tuple(sorted(model.aliases.items())), versions=rows,
        tags=_tags(model.tags, ctx, secrets),
        description=_masked(None, model.description, ctx, secrets),
        findings=tuple(by_path.get(model.uri, ())))


def _version(snapshot: RegistrySnapshot, model: ModelRecord, v: VersionRecord,
             by_path: dict[str, list[Finding]], ctx: AuditContext,
             secrets: MutableSet[str]) -> VersionState:
    run = ctx.run_of(snapshot, v)
    if not v.run_id:
        run_status = "none"
    elif run is not None:
        run_status = "deleted" if run.lifecycle_stage.lower() == "deleted" else run.status
    else:
        run_status = "missing" if v.run_id in snapshot.wanted_runs else "unread"
    lineage: tuple[str, ...] | None = None
    if run is not None:
        need = ctx.policy.lineage
        lineage = tuple(what for what, lacking in (
            ("git commit", bool(need.git_commit_tags) and ctx.git_commit(run) is None),
            ("dataset digest", need.require_dataset_digest and not ctx.has_dataset_digest(run)),
        ) if lacking)
    return VersionState(
        number=v.version, status=v.status, stage=v.stage, aliases=tuple(sorted(v.aliases)),
        retired=ctx.retired_by(model, v.version, v) is not None, run_id=v.run_id,
        run_status=run_status, debug=None if run is None else ctx.is_debug(run), lineage=lineage,
        tags=_tags(v.tags, ctx, secrets), description=_masked(None, v.description, ctx, secrets),
        findings=tuple(by_path.get(v.uri, ())))


def _tags(tags: dict[str, str], ctx: AuditContext,
          secrets: MutableSet[str]) -> tuple[tuple[str, str], ...]:
    return tuple((k, _masked(k, v, ctx, secrets) or "") for k, v in sorted(tags.items()))


def _masked(name: str | None, value: str | None, ctx: AuditContext,
            secrets: MutableSet[str]) -> str | None:
    """``value`` with what the secret rules (TC208's classifiers) flag in it masked, whether or
    not TC208 was selected: a state is shown and kept, so it never holds a secret."""
    if not value:
        return value
    for _ in range(16):  # one secret per pass; a value holds few
        found = ctx.secret_in(name, value)
        if found is None:
            break
        raw = found[1]
        shown = mask(raw)
        if raw not in value or shown == raw:
            return mask(value)
        secrets.add(raw)
        value = value.replace(raw, shown)
    else:
        return mask(value)
    return value

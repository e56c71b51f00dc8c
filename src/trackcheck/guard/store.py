"""The guard inside the server: MLflow's registry store, with every write judged first.

Every route MLflow serves a registry write on — the REST API, the UI's ``/ajax-api``, anything
added later — ends in one method of the registry store the server holds. :func:`install` makes
that store judge each write method before it runs it, so no route needs to be known here;
``tests/guard/test_routes.py`` checks MLflow's route table and the store's method list against
:data:`WRITES` and :data:`NOT_JUDGED` so that a write method MLflow adds is noticed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import PERMISSION_DENIED

from trackcheck.audit.mlflow_source import model_record, run_record, version_record
from trackcheck.audit.records import RegistrySnapshot
from trackcheck.guard.changes import Change, apply
from trackcheck.guard.context import Write
from trackcheck.guard.judge import judge
from trackcheck.guard.ledger import Ledger, LedgerError
from trackcheck.policy import Policy

T = TypeVar("T")
_log = logging.getLogger("trackcheck.guard")
PROMPT_TAG = "mlflow.prompt.is_prompt"

# registry store methods that change registered models and their versions: each is judged
WRITES = frozenset({
    "create_registered_model", "update_registered_model", "rename_registered_model",
    "delete_registered_model", "set_registered_model_tag", "delete_registered_model_tag",
    "create_model_version", "update_model_version", "transition_model_version_stage",
    "delete_model_version", "set_model_version_tag", "delete_model_version_tag",
    "set_registered_model_alias", "delete_registered_model_alias",
})
# write methods the guard leaves to MLflow, and why (prompts are out of scope, as in the audit)
NOT_JUDGED: dict[str, str] = {
    **{m: "prompts are out of scope" for m in (
        "create_prompt", "delete_prompt", "set_prompt_tag", "delete_prompt_tag",
        "create_prompt_version", "delete_prompt_version", "set_prompt_alias",
        "delete_prompt_alias", "link_prompts_to_trace", "set_prompt_version_tag",
        "delete_prompt_version_tag", "link_prompt_version_to_model",
        "link_prompt_version_to_run", "update_prompt_version", "update_prompt",
        "set_prompt_version_model_config", "delete_prompt_version_model_config")},
    **{m: "webhooks change no model" for m in (
        "create_webhook", "update_webhook", "delete_webhook", "test_webhook")},
    "copy_model_version": "a client-side helper: it writes through create_model_version",
}


class Refused(Exception):
    """A write the guard will not let through; the message is what the client sees."""


class Guard:
    """Judges one write at a time per model, records it, and runs it."""

    def __init__(self, policy: Policy, ledger: Ledger, store: Any, runs: Callable[[], Any],
                 actor: Callable[[], str | None]):
        self.policy = policy
        self.ledger = ledger
        self.store = store  # the registry store, reads only (its writes are the guarded ones)
        self.runs = runs  # the tracking store, for source runs
        self.actor = actor
        self._local = threading.local()

    # --- reading one model ------------------------------------------------------------
    def _versions(self, name: str) -> list[Any]:
        if "'" not in name:
            filt: str | None = f"name='{name}'"
        elif '"' not in name:
            filt = f'name="{name}"'
        else:
            filt = None  # a name no filter can quote: scan, keep this one's versions
        out, token = [], None
        while True:
            page = self.store.search_model_versions(filter_string=filt, max_results=1000,
                                                    page_token=token)
            out += [v for v in page if v.name == name]
            token = getattr(page, "token", None)
            if not token:
                return out

    def read(self, name: str) -> tuple[RegistrySnapshot, bool]:
        """The model as the audit reads it (without runs), and whether it is a prompt."""
        snap = RegistrySnapshot(registry="guard")
        try:
            rm = self.store.get_registered_model(name)
        except MlflowException as e:
            if e.error_code == "RESOURCE_DOES_NOT_EXIST":
                return snap, False
            raise
        record = model_record(rm)
        if record.tags.get(PROMPT_TAG, "").lower() == "true":
            return snap, True
        snap.models[name] = record
        held: dict[int, list[str]] = {}
        for alias, number in record.aliases.items():
            held.setdefault(number, []).append(alias)
        by_version = {n: tuple(sorted(a)) for n, a in held.items()}
        snap.versions = sorted((version_record(v, by_version) for v in self._versions(name)),
                               key=lambda v: v.version)
        return snap, False

    def add_runs(self, before: RegistrySnapshot, after: RegistrySnapshot) -> None:
        """The source runs of the versions whose aliases the write changes, looked up once and
        shared by both states. A run behind an unchanged version judges the same before and
        after, so it cannot make a finding new: it is not read (a tag write reads no run)."""
        held = {v.version: v.aliases for v in before.versions}
        wanted = {v.run_id for v in after.versions
                  if v.aliases and v.run_id and v.aliases != held.get(v.version)}
        snaps = (before, after)
        found = {}
        for run_id in sorted(wanted):
            try:
                found[run_id] = run_record(self.runs().get_run(run_id))
            except MlflowException as e:
                if e.error_code != "RESOURCE_DOES_NOT_EXIST":
                    raise
        for s in snaps:
            s.wanted_runs = wanted & {v.run_id for v in s.versions if v.aliases and v.run_id}
            s.runs = {r: found[r] for r in s.wanted_runs if r in found}

    # --- one write --------------------------------------------------------------------
    def run(self, change: Change, perform: Callable[[], T]) -> T:
        if getattr(self._local, "busy", False):  # a store method calling another: judged once
            return perform()
        self._local.busy = True
        try:
            return self._run(change, perform)
        finally:
            self._local.busy = False

    def _run(self, change: Change, perform: Callable[[], T]) -> T:
        if change.action == "create_model" and \
                change.tags.get(PROMPT_TAG, "").lower() == "true":
            return perform()
        try:
            actor = self.actor()
        except Exception:  # noqa: BLE001 - outside a request, or an auth back-end's own error
            actor = None
        names = [change.model] + ([change.new_name] if change.new_name else [])
        try:
            with self.ledger.lock(names, self.policy.guard.lock_timeout):
                return self._judged(change, actor, perform)
        except Refused as e:
            raise MlflowException(str(e), error_code=PERMISSION_DENIED) from None
        except LedgerError as e:  # unreachable, or another write holds the model too long
            raise MlflowException(f"trackcheck guard could not judge {change.describe()}: {e}; "
                                  "the write was refused, nothing changed",
                                  error_code=PERMISSION_DENIED) from None

    def _judged(self, change: Change, actor: str | None, perform: Callable[[], T]) -> T:
        try:
            before, prompt = self.read(change.model)
            if prompt:
                return perform()
            if change.action == "create_version":
                numbers = [v.version for v in before.versions]
                change = replace(change, version=max(numbers, default=0) + 1)
            after = apply(change, before)
            self.add_runs(before, after)
            verdict = judge(Write(change, before, after, actor, self.ledger), self.policy)
        except (Refused, LedgerError):
            raise
        except Exception as e:  # noqa: BLE001 - the guard's own failure refuses, never allows
            _log.error("trackcheck guard could not judge %s: %s", change.action,
                       type(e).__name__, exc_info=_log.isEnabledFor(logging.DEBUG))
            raise Refused(f"trackcheck guard could not judge {change.describe()} "
                          f"({type(e).__name__}); the write was refused, nothing changed") \
                from None
        model = before.models.get(change.model)
        was = model.aliases.get(change.alias) if model is not None and change.alias else None
        entry = dict(actor=actor, model=change.model, action=change.action, alias=change.alias,
                     from_version=was, to_version=change.version if change.action != "delete_alias"
                     else None, key=change.key, stage=change.stage, new_name=change.new_name,
                     verdict=verdict.name, rules=verdict.rules or None,
                     message=verdict.summary() or None)
        if change.action == "create_version":
            entry["to_version"] = None  # MLflow numbers it; the outcome row says which
        if not verdict.allowed:
            self.ledger.append(**entry, outcome="refused")
            raise Refused(verdict.explain(change.describe(was)))
        entry_id = self.ledger.append(**entry, outcome="pending")
        try:
            result = perform()
        except MlflowException as e:
            with contextlib.suppress(LedgerError):
                self.ledger.finish(entry_id, str(e.error_code), None)
            raise
        except Exception:
            with contextlib.suppress(LedgerError):
                self.ledger.finish(entry_id, "INTERNAL_ERROR", None)
            raise
        try:
            created = _int(getattr(result, "version", None)) \
                if change.action == "create_version" else None
            self.ledger.finish(entry_id, "ok", self._aliases_now(change), created)
        except LedgerError as e:  # the write is done: say so in the log, not to the client
            _log.error("trackcheck guard: %s after %s", e, change.describe())
        return result

    def _aliases_now(self, change: Change) -> dict[str, int] | None:
        name = change.new_name or change.model
        if change.action == "delete_model":
            return {}
        try:
            return dict(model_record(self.store.get_registered_model(name)).aliases)
        except Exception:  # noqa: BLE001 - the write happened; what it left is unknown
            return None

    # --- start-up ---------------------------------------------------------------------
    def adopt(self) -> int | None:
        """Record the aliases the registry holds when the guard first starts (once per ledger;
        workers starting together agree through the lock)."""
        with self.ledger.lock(["*adoption*"], 60.0):
            if self.ledger.adopted():
                return None
            found: dict[str, dict[str, int]] = {}
            token = None
            while True:
                page = self.store.search_registered_models(max_results=1000, page_token=token)
                for rm in page:
                    rec = model_record(rm)
                    if rec.aliases and rec.tags.get(PROMPT_TAG, "").lower() != "true":
                        found[rec.name] = dict(rec.aliases)
                token = getattr(page, "token", None)
                if not token:
                    break
            return self.ledger.adopt(found, actor="trackcheck-guard")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _tags(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): "" if v is None else str(v) for k, v in tags.items()}
    return {str(t.key): "" if t.value is None else str(t.value) for t in tags or ()}


class GuardedStore:
    """Mixed in before the store's own class: each write method asks the guard first."""

    _trackcheck_guard: Guard

    def _judge(self, change: Change, perform: Callable[[], T]) -> T:
        return self._trackcheck_guard.run(change, perform)

    def create_registered_model(self, name: Any, tags: Any = None, description: Any = None,
                                *args: Any, **kw: Any) -> Any:
        inner = super()
        return self._judge(Change("create_model", str(name), tags=_tags(tags),
                                  description=description),
                           lambda: inner.create_registered_model(name, tags, description,
                                                                 *args, **kw))

    def update_registered_model(self, name: Any, description: Any, *args: Any, **kw: Any) -> Any:
        inner = super()
        return self._judge(Change("update_model", str(name), description=description),
                           lambda: inner.update_registered_model(name, description, *args, **kw))

    def rename_registered_model(self, name: Any, new_name: Any) -> Any:
        inner = super()
        return self._judge(Change("rename_model", str(name), new_name=str(new_name)),
                           lambda: inner.rename_registered_model(name, new_name))

    def delete_registered_model(self, name: Any) -> Any:
        inner = super()
        return self._judge(Change("delete_model", str(name)),
                           lambda: inner.delete_registered_model(name))

    def set_registered_model_tag(self, name: Any, tag: Any) -> Any:
        inner = super()
        return self._judge(Change("set_model_tag", str(name), key=str(tag.key),
                                  value=None if tag.value is None else str(tag.value)),
                           lambda: inner.set_registered_model_tag(name, tag))

    def delete_registered_model_tag(self, name: Any, key: Any) -> Any:
        inner = super()
        return self._judge(Change("delete_model_tag", str(name), key=str(key)),
                           lambda: inner.delete_registered_model_tag(name, key))

    def create_model_version(self, name: Any, source: Any, run_id: Any = None, tags: Any = None,
                             *args: Any, **kw: Any) -> Any:
        inner = super()
        return self._judge(Change("create_version", str(name), run_id=run_id or None,
                                  source=source, tags=_tags(tags),
                                  description=kw.get("description")),
                           lambda: inner.create_model_version(name, source, run_id, tags,
                                                              *args, **kw))

    def _versioned(self, action: str, name: Any, version: Any, perform: Callable[[], T],
                   **kw: Any) -> T:
        number = _int(version)
        if number is None:  # not a version number: MLflow says so in its own words
            return perform()
        return self._judge(Change(action, str(name), version=number, **kw), perform)

    def update_model_version(self, name: Any, version: Any, description: Any) -> Any:
        inner = super()
        return self._versioned("update_version", name, version,
                               lambda: inner.update_model_version(name, version, description),
                               description=description)

    def transition_model_version_stage(self, name: Any, version: Any, stage: Any,
                                       archive_existing_versions: Any) -> Any:
        inner = super()
        return self._versioned(
            "transition_stage", name, version,
            # the server performing a transition a client asked for, once judged (TC203)
            lambda: inner.transition_model_version_stage(  # trackcheck: ignore[TC133]
                name, version, stage, archive_existing_versions),
            stage=_stage(stage), archive_existing=bool(archive_existing_versions))

    def delete_model_version(self, name: Any, version: Any) -> Any:
        inner = super()
        return self._versioned("delete_version", name, version,
                               lambda: inner.delete_model_version(name, version))

    def set_model_version_tag(self, name: Any, version: Any, tag: Any) -> Any:
        inner = super()
        return self._versioned("set_version_tag", name, version,
                               lambda: inner.set_model_version_tag(name, version, tag),
                               key=str(tag.key),
                               value=None if tag.value is None else str(tag.value))

    def delete_model_version_tag(self, name: Any, version: Any, key: Any) -> Any:
        inner = super()
        return self._versioned("delete_version_tag", name, version,
                               lambda: inner.delete_model_version_tag(name, version, key),
                               key=str(key))

    def set_registered_model_alias(self, name: Any, alias: Any, version: Any) -> Any:
        inner = super()
        return self._versioned("set_alias", name, version,
                               lambda: inner.set_registered_model_alias(name, alias, version),
                               alias=str(alias))

    def delete_registered_model_alias(self, name: Any, alias: Any) -> Any:
        inner = super()
        return self._judge(Change("delete_alias", str(name), alias=str(alias)),
                           lambda: inner.delete_registered_model_alias(name, alias))


def _stage(stage: Any) -> str:
    """MLflow's canonical spelling of a stage (``production`` -> ``Production``)."""
    try:
        from mlflow.entities.model_registry.model_version_stages import (
            get_canonical_stage,
        )

        return str(get_canonical_stage(str(stage)))
    except Exception:  # noqa: BLE001 - an invalid stage: MLflow refuses it in its own words
        return str(stage)


def install(store: Any, guard: Guard) -> Any:
    """Make ``store`` (the server's registry store instance) judge its writes through ``guard``.
    The instance keeps its identity and type checks (a subclass of its own class)."""
    cls = type(store)
    if issubclass(cls, GuardedStore):
        store.__class__ = cls.__mro__[2]  # re-installing: unwrap first (tests, reloads)
        cls = type(store)
    guarded = type(f"Guarded{cls.__name__}", (GuardedStore, cls),
                   {"_trackcheck_guard": guard, "__module__": __name__})
    store.__class__ = guarded
    return store


__all__ = ["NOT_JUDGED", "WRITES", "Guard", "GuardedStore", "Refused", "install"]

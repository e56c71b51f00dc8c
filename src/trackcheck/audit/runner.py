"""Run the live rules: name the registry, read it one model at a time, judge each model as it
comes, collect one Report."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from trackcheck.audit.context import AuditContext, ConfigRef
from trackcheck.audit.records import LedgerEntry, RegistrySnapshot, VersionRecord
from trackcheck.audit.rules import RULES
from trackcheck.audit.source import RegistrySource, SourceError, masked_uri
from trackcheck.audit.state import model_states
from trackcheck.detect.uris import parse_model_uri, uri_kind
from trackcheck.engine import Report, Selection, active_rules, judged
from trackcheck.findings import Finding
from trackcheck.policy import Policy
from trackcheck.rule import Rule
from trackcheck.state import AliasMove, ModelState, RegistryState

EXIT_USAGE, EXIT_FAILED = 2, 3
LOCAL_STORE = "mlflow.db"  # MLflow's own default store, ``sqlite:///mlflow.db``
_MODEL_REF = re.compile(r"models:/[^\s'\"`,;)\]}]+")


class AuditError(Exception):
    """The audit could not start or finish; ``exit_code`` is 2 (nothing to audit) or 3."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


# --- which registry ---------------------------------------------------------------------
def registry_uris(tracking_uri: str | None, environ: Mapping[str, str],
                  cwd: Path) -> tuple[str, str]:
    """(tracking URI, registry URI) the way MLflow users name them.

    ``--tracking-uri`` names both (local debugging); otherwise MLFLOW_TRACKING_URI and
    MLFLOW_REGISTRY_URI; with neither, MLflow's local default store if it exists here."""
    if tracking_uri:
        return tracking_uri, tracking_uri
    tracking = environ.get("MLFLOW_TRACKING_URI", "").strip()
    registry = environ.get("MLFLOW_REGISTRY_URI", "").strip()
    if not tracking and (cwd / LOCAL_STORE).is_file():
        tracking = f"sqlite:///{LOCAL_STORE}"
    if not tracking and not registry:
        raise AuditError("nothing to audit: set MLFLOW_TRACKING_URI (or MLFLOW_REGISTRY_URI), "
                         f"or run where MLflow's local store {LOCAL_STORE} exists", EXIT_USAGE)
    return tracking or registry, registry or tracking


def _check_supported(uri: str) -> None:
    kind = uri_kind(uri)
    if kind in ("file", "path", None):
        raise AuditError(f"registry {masked_uri(uri)}: not a registry trackcheck can audit "
                         "(use an http(s) tracking server, databricks, or a SQL store such as "
                         "sqlite:///mlflow.db; file stores are deprecated by MLflow)", EXIT_FAILED)


# --- TC210: committed references ----------------------------------------------------------
def config_refs(paths: Sequence[str], policy: Policy, cwd: Path) -> list[ConfigRef]:
    """Every ``models:/name[@alias]`` written in the YAML files under ``paths``, located."""
    from trackcheck.lint.discover import UsageError, discover
    from trackcheck.lint.runner import load

    try:
        found = discover(list(paths), policy, cwd)
    except UsageError as e:
        raise AuditError(f"--config {e}", EXIT_USAGE) from None
    refs: list[ConfigRef] = []
    for target in found.targets:
        if target.kind not in ("hydra", "yaml"):
            continue
        doc = load(target, found.policy)
        for node in doc.strings():
            for m in _MODEL_REF.finditer(node.value):
                parsed = parse_model_uri(m.group(0))
                if not parsed or not parsed["name"] or "${" in m.group(0):
                    continue  # built from an interpolation: nothing to look up
                if parsed["version"] or parsed["stage"]:
                    continue  # by version or stage: TC131's business, not a dangling alias
                col = node.column + m.start() if node.value.count("\n") == 0 else node.column
                refs.append(ConfigRef(path=doc.path, line=node.line, column=col, key=node.key,
                                      name=str(parsed["name"]), alias=parsed["alias"] or None))
    return refs


def _inline_suppressed(findings: list[Finding], cwd: Path) -> tuple[list[Finding], list[Finding]]:
    """Findings on committed files (TC210) honour ``# trackcheck: ignore[TC210]`` there too."""
    from trackcheck.lint import suppress

    kept, hidden = [], []
    cache: dict[str, list[suppress.Suppression]] = {}
    for f in findings:
        if f.line is None:
            kept.append(f)
            continue
        if f.path not in cache:
            try:
                cache[f.path] = suppress.parse((cwd / f.path).read_text("utf-8"))
            except (OSError, UnicodeDecodeError):
                cache[f.path] = []
        hit = next((s for s in cache[f.path] if not s.malformed and f.rule in s.codes
                    and (s.file_wide or s.line == f.line)), None)
        if hit is None:
            kept.append(f)
        else:
            why = "inline" + (f": {hit.reason}" if hit.reason else "")
            hidden.append(replace(f, suppressed=why))
    return kept, hidden


# --- progress -----------------------------------------------------------------------------
class _Progress:
    """One rewritten line on stderr while the registry is read, only on a terminal."""

    def __init__(self, registry: str):
        self.on = sys.stderr.isatty()
        self.registry = registry
        self.shown = False

    def __call__(self, message: str) -> None:
        if self.on:
            sys.stderr.write(f"\r\033[Ktrackcheck: reading {self.registry}: {message}")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


# --- the audit ----------------------------------------------------------------------------
def read_registry(tracking: str, registry: str, timeout: float, deadline: float = 600.0,
                  policy: Policy | None = None) -> RegistrySnapshot:
    """The whole registry in one snapshot (benchmarks and tools; the audit itself streams)."""
    source, progress = _open(tracking, registry, timeout, deadline, policy)
    try:
        return source.snapshot(progress)
    except SourceError as e:
        raise AuditError(str(e), EXIT_FAILED) from None
    finally:
        progress.done()


def _open(tracking: str, registry: str, timeout: float, deadline: float,
          policy: Policy | None) -> tuple[RegistrySource, _Progress]:
    for uri in {tracking, registry}:
        _check_supported(uri)
    try:
        from trackcheck.audit.mlflow_source import Limits, open_source

        limits = Limits(**asdict(policy.audit)) if policy is not None else Limits()
        source = open_source(tracking, registry, timeout, deadline=deadline, limits=limits)
    except SourceError as e:
        raise AuditError(str(e), EXIT_FAILED) from None
    return source, _Progress(masked_uri(registry))


def split(snapshot: RegistrySnapshot) -> Iterator[RegistrySnapshot]:
    """A whole snapshot as per-model pieces, the shape a streaming source yields: one model, its
    versions and the runs of its aliased versions (versions of a model the snapshot does not
    list form a piece without a model record)."""
    by_model: dict[str, list[VersionRecord]] = {}
    for v in snapshot.versions:
        by_model.setdefault(v.model, []).append(v)
    for name in [*snapshot.models, *(n for n in by_model if n not in snapshot.models)]:
        versions = sorted(by_model.get(name, ()), key=lambda v: v.version)
        wanted = {v.run_id for v in versions if v.run_id and v.run_id in snapshot.wanted_runs}
        yield RegistrySnapshot(
            registry=snapshot.registry,
            models={name: snapshot.models[name]} if name in snapshot.models else {},
            versions=versions, wanted_runs=wanted,
            runs={r: snapshot.runs[r] for r in wanted if r in snapshot.runs})


ModelHook = Callable[[RegistrySnapshot, list[Finding]], None]


def check(snapshot: RegistrySnapshot, policy: Policy, selection: Selection | None = None,
          refs: Sequence[ConfigRef] = (), cwd: Path | None = None,
          on_model: ModelHook | None = None) -> Report:
    """Run the selected live rules on a whole snapshot: per model, as a streamed audit does."""
    report = check_pieces(split(snapshot), policy, selection, refs, cwd, on_model=on_model,
                          registry=snapshot.registry, ledger=snapshot.ledger)
    report.summary["requests"] = snapshot.requests
    return report


def check_pieces(pieces: Iterable[RegistrySnapshot], policy: Policy,
                 selection: Selection | None = None, refs: Sequence[ConfigRef] = (),
                 cwd: Path | None = None, *, on_model: ModelHook | None = None,
                 registry: str = "", ledger: Ledger | None = None,
                 keep_state: bool = True) -> Report:
    """Judge a registry one model at a time and drop each piece once judged: the rules see a
    registry of one model (its versions, the runs of its aliased versions, and the committed
    references that name it); references to models never seen are judged last, against an empty
    registry. ``on_model(piece, findings)`` is called once per model with that model's findings
    (stamped, after per-path ignores). ``ledger`` is the guard's (or how to read it, once the
    registry is read): TC211 and TC212 judge it last, against each model's aliases kept from its
    piece (a few records per model), and the report's state shows each model's alias moves.
    ``keep_state``: build ``report.registry`` (the HTML page, snapshots); it holds a row per
    version, so an audit that prints findings only leaves it out and stays flat in memory.
    """
    chosen = active_rules(RULES, policy, selection or Selection())
    rules = [r for r in chosen if r.code not in LEDGER_RULES]
    ledger_rules = [r for r in chosen if r.code in LEDGER_RULES]
    aliased = RegistrySnapshot(registry=registry)  # each model's aliases, for the ledger rules
    ctx = AuditContext(policy, refs)
    by_name: dict[str, list[ConfigRef]] = {}
    for ref in refs:
        by_name.setdefault(ref.name, []).append(ref)
    report = Report(engine="audit")
    found: list[Finding] = []
    models = versions = runs = 0
    # what the HTML report and snapshots show, built model by model as each piece is judged
    state = RegistryState(registry, tuple(policy.aliases.allowed), tuple(policy.aliases.retired))

    def judge(piece: RegistrySnapshot, piece_ctx: AuditContext,
              rules: Sequence[Rule] = rules) -> list[Finding]:
        return [f for rule in rules for f in judged(rule, piece, piece_ctx, policy, report)]

    for piece in pieces:
        models += len(piece.models)
        versions += len(piece.versions)
        runs += len(piece.runs)
        names = set(piece.models) | {v.model for v in piece.versions}
        mine = [r for n in sorted(names) for r in by_name.pop(n, ())]
        if ledger is not None:
            aliased.models.update((n, replace(m, tags={}, description=None))
                                  for n, m in piece.models.items() if m.aliases)
            aliased.versions += [replace(v, tags={}, description=None, source=None)
                                 for v in piece.versions if v.aliases]
        findings = judge(piece, ctx.with_refs(mine))
        found.extend(findings)
        if keep_state:
            state.models.extend(model_states(piece, findings, ctx, report.secrets))
        if on_model is not None:
            on_model(piece, findings)
    found.extend(judge(RegistrySnapshot(registry=registry),
                       ctx.with_refs([r for rs in by_name.values() for r in rs])))
    entries = ledger() if callable(ledger) else ledger
    if entries is not None:
        aliased.ledger = entries
        late = judge(aliased, ctx.with_refs([]), ledger_rules)
        found.extend(late)
        if keep_state:
            state.models[:] = with_findings(state.models, late)
            state.history = alias_history(entries)
    report.findings, report.suppressed = _inline_suppressed(found, cwd or Path.cwd())
    report.registry = state if keep_state else None
    report.summary = {"registry": registry, "models": models, "versions": versions, "runs": runs,
                      "requests": 0}
    if refs:
        report.summary["references"] = len(refs)
    report.sort()
    return report


def audit(args: argparse.Namespace, policy: Policy, selection: Selection) -> Report:
    """``trackcheck audit --registry``: reads and judges the registry one model at a time;
    raises :class:`AuditError` when it cannot finish."""
    cwd = Path.cwd()
    tracking, registry = registry_uris(getattr(args, "tracking_uri", None), os.environ, cwd)
    paths = getattr(args, "config", None) or []
    refs = config_refs(paths, policy, cwd) if paths else []
    timeout = _seconds(args, "timeout", 10.0)
    deadline = _seconds(args, "deadline", 600.0)
    # the registry's state, a row per version, only for what shows it: the page, snapshots
    html = getattr(args, "format", None) == "html"
    wants_state = html or bool(getattr(args, "snapshot", None) or getattr(args, "live", False))
    # the guard's ledger, read once the registry is: its rules and the page's alias history
    pages = [0]

    def ledger() -> tuple[LedgerEntry, ...] | None:
        found, pages[0] = read_ledger(tracking, timeout)
        return found

    wants_ledger = html or any(r.code in LEDGER_RULES
                               for r in active_rules(RULES, policy, selection))
    source, progress = _open(tracking, registry, timeout, deadline, policy)
    try:
        with contextlib.closing(source.pieces(progress)) as pieces:
            report = check_pieces(pieces, policy, selection, refs, cwd,
                                  registry=source.registry,
                                  ledger=ledger if wants_ledger else None,
                                  keep_state=wants_state)
    except SourceError as e:
        raise AuditError(str(e), EXIT_FAILED) from None
    finally:
        progress.done()
    report.summary["requests"] = source.requests + pages[0]
    return report


def _seconds(args: argparse.Namespace, name: str, default: float) -> float:
    value = getattr(args, name, None)
    value = default if value is None else float(value)
    if not (value > 0 and math.isfinite(value)):
        raise AuditError(f"--{name} must be a positive number of seconds", EXIT_USAGE)
    return value


LEDGER_RULES = ("TC211", "TC212")  # they read the guard's ledger, when the server keeps one
Ledger = tuple[LedgerEntry, ...] | Callable[[], tuple[LedgerEntry, ...] | None]


def with_findings(models: Sequence[ModelState], late: Sequence[Finding]) -> list[ModelState]:
    """The models' states with findings judged after them (the ledger's) on the version or the
    model they name."""
    by_path: dict[str, list[Finding]] = {}
    for f in late:
        by_path.setdefault(f.path, []).append(f)
    out = []
    for m in models:
        versions = tuple(replace(v, findings=v.findings + tuple(by_path.get(
            f"{m.uri}/{v.number}", ()))) for v in m.versions)
        out.append(replace(m, versions=versions,
                           findings=m.findings + tuple(by_path.get(m.uri, ()))))
    return out


def alias_history(ledger: Sequence[LedgerEntry]) -> dict[str, tuple[AliasMove, ...]]:
    """Each model's alias moves the guard let through, oldest first, following renames."""
    out: dict[str, list[AliasMove]] = {}
    for e in ledger:
        if not e.done:
            continue
        if e.action == "rename_model" and e.new_name:
            out[e.new_name] = out.pop(e.model, []) + out.get(e.new_name, [])
        elif e.action in ("set_alias", "delete_alias") and e.alias:
            new = e.to_version if e.action == "set_alias" else None
            out.setdefault(e.model, []).append(AliasMove(e.time, e.alias, e.from_version, new,
                                                         e.actor))
    return {name: tuple(moves) for name, moves in out.items() if moves}


def read_ledger(tracking: str, timeout: float) -> tuple[tuple[LedgerEntry, ...] | None, int]:
    """The guard's ledger (None: the server keeps none) and the requests it took."""
    try:
        from trackcheck.audit.ledger_reader import ledger_entries

        return ledger_entries(tracking, timeout)
    except SourceError as e:
        raise AuditError(str(e), EXIT_FAILED) from None

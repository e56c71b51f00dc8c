"""Run the live rules: name the registry, read it once, check it, collect one Report."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from trackcheck.audit.context import AuditContext, ConfigRef
from trackcheck.audit.records import LedgerEntry, RegistrySnapshot
from trackcheck.audit.rules import RULES
from trackcheck.audit.source import SourceError, masked_uri
from trackcheck.audit.state import model_states
from trackcheck.detect.uris import parse_model_uri, uri_kind
from trackcheck.engine import Report, Selection, active_rules, stamp
from trackcheck.findings import Finding
from trackcheck.policy import Policy
from trackcheck.state import AliasMove, RegistryState

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
def read_registry(tracking: str, registry: str, timeout: float) -> RegistrySnapshot:
    for uri in {tracking, registry}:
        _check_supported(uri)
    progress = _Progress(masked_uri(registry))
    try:
        from trackcheck.audit.mlflow_source import open_source

        source = open_source(tracking, registry, timeout)
        return source.snapshot(progress)
    except SourceError as e:
        raise AuditError(str(e), EXIT_FAILED) from None
    finally:
        progress.done()


def check(snapshot: RegistrySnapshot, policy: Policy, selection: Selection | None = None,
          refs: Sequence[ConfigRef] = (), cwd: Path | None = None) -> Report:
    """Run the selected live rules on a snapshot: stamping, per-path ignores, summary."""
    rules = active_rules(RULES, policy, selection or Selection())
    ctx = AuditContext(policy, refs)
    report = Report(engine="audit")
    found: list[Finding] = []
    for rule in rules:
        for hit in rule.check(snapshot, ctx):
            if hit.secret and hit.value:
                report.secrets.add(hit.value)
            if policy.ignored_for_path(rule.code, hit.path):
                continue
            found.append(stamp(rule, hit, policy))
    report.findings, report.suppressed = _inline_suppressed(found, cwd or Path.cwd())
    # what the HTML report and snapshots show, built model by model (an audit that reads the
    # registry per model calls model_states per model)
    report.registry = RegistryState(snapshot.registry, tuple(policy.aliases.allowed),
                                    tuple(policy.aliases.retired))
    report.registry.models.extend(model_states(snapshot, report.findings, ctx, report.secrets))
    if snapshot.ledger is not None:
        report.registry.history = alias_history(snapshot.ledger)
    report.summary = {
        "registry": snapshot.registry,
        "models": len(snapshot.models),
        "versions": len(snapshot.versions),
        "runs": len(snapshot.runs),
        "requests": snapshot.requests,
    }
    if refs:
        report.summary["references"] = len(refs)
    report.sort()
    return report


def audit(args: argparse.Namespace, policy: Policy, selection: Selection) -> Report:
    """``trackcheck audit --registry``: raises :class:`AuditError` when it cannot finish."""
    cwd = Path.cwd()
    tracking, registry = registry_uris(getattr(args, "tracking_uri", None), os.environ, cwd)
    paths = getattr(args, "config", None) or []
    refs = config_refs(paths, policy, cwd) if paths else []
    timeout = getattr(args, "timeout", None)
    timeout = 10.0 if timeout is None else float(timeout)
    if not timeout > 0:
        raise AuditError("--timeout must be a positive number of seconds", EXIT_USAGE)
    snapshot = read_registry(tracking, registry, timeout)
    if getattr(args, "format", None) == "html" or any(
            r.code in LEDGER_RULES for r in active_rules(RULES, policy, selection)):
        snapshot.ledger = read_ledger(tracking, timeout)
    return check(snapshot, policy, selection, refs, cwd)


LEDGER_RULES = ("TC211", "TC212")  # they read the guard's ledger, when the server keeps one


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


def read_ledger(tracking: str, timeout: float) -> tuple[LedgerEntry, ...] | None:
    try:
        from trackcheck.audit.ledger_reader import ledger_entries

        return ledger_entries(tracking, timeout)
    except SourceError as e:
        raise AuditError(str(e), EXIT_FAILED) from None

"""Snapshots: the audited registry state as versioned JSON, written by the audit, read by ``diff``.

A snapshot holds models, versions (status, stage, aliases, source-run status, debug flag,
lineage), aliases, and the findings by fingerprint with their rule, place and message. It holds
no tag, no description, no run parameter and no value: nothing a secret rule could flag, and
the fields it does hold are masked as every other output is. Reading one is reading untrusted
input: size, nesting, numbers, strings and shape are all bounded, and every string read is
masked again (a hand-made snapshot may hold a token) before anything prints it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from trackcheck import __version__, jsonfile
from trackcheck.detect.redact import scrubber
from trackcheck.engine import Report
from trackcheck.findings import Finding

FORMAT = "trackcheck-snapshot"
VERSION = 1
# ~250 bytes per version and ~400 per finding: a registry of 10^5 versions writes ~30 MB
MAX_BYTES = 256_000_000

Text = Annotated[str, StringConstraints(max_length=4096)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Number = Annotated[int, Field(ge=0, le=2**63 - 1)]
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16,64}$")]
Code = Annotated[str, StringConstraints(pattern=r"^TC\d{3}$")]
RuleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]


class SnapshotError(Exception):
    """A missing, unreadable, corrupt or foreign snapshot; the CLI turns it into exit 2."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class VersionEntry(_Strict):
    version: Number
    status: Text
    stage: Text
    aliases: list[Name] = []
    retired: bool = False
    run_status: Text = "unread"
    debug: bool | None = None
    lineage: list[Text] | None = None  # what the run lacks; [] complete; null not read
    findings: list[Fingerprint] = []


class ModelEntry(_Strict):
    name: Name
    aliases: dict[Name, Number] = {}
    versions: list[VersionEntry] = []
    findings: list[Fingerprint] = []


class FindingEntry(_Strict):
    fingerprint: Fingerprint
    rule: Code
    name: RuleName
    severity: Literal["error", "warning"]
    path: Text
    key: Text = ""
    message: Text = ""


class Tool(_Strict):
    name: Text
    version: Text


class Snapshot(_Strict):
    """The file, validated. ``lifecycle`` and ``retired`` are the policy's aliases then."""

    format: Literal["trackcheck-snapshot"]
    version: Literal[1]
    tool: Tool
    registry: Text
    taken_at: Text  # ISO 8601, UTC; "live" for a registry read just now
    lifecycle: list[Name] = []
    retired: list[Name] = []
    models: list[ModelEntry] = []
    findings: list[FindingEntry] = []


# --- writing ------------------------------------------------------------------------------
def document(report: Report, taken_at: str | None = None) -> dict[str, object]:
    """The snapshot of a scrubbed audit report, as a JSON-ready dict (fingerprints are hashed
    here: a snapshot is one of the outputs that reads them)."""
    state = report.registry
    if state is None:
        raise SnapshotError("a snapshot records a registry audit (audit --registry)")
    clean = scrubber(report.secrets)  # the state is scrubbed already; fingerprints need no mask

    def fps(findings: Iterable[Finding]) -> list[str]:
        return [f.fingerprint for f in findings]

    models = []
    for m in state.models:
        versions = []
        for v in m.versions:
            versions.append({
                "version": v.number, "status": v.status, "stage": v.stage,
                "aliases": list(v.aliases), "retired": v.retired, "run_status": v.run_status,
                "debug": v.debug, "lineage": None if v.lineage is None else list(v.lineage),
                "findings": fps(v.findings)})
        models.append({"name": m.name, "aliases": dict(m.aliases), "versions": versions,
                       "findings": fps(m.findings)})
    findings = [{"fingerprint": f.fingerprint, "rule": f.rule, "name": f.name,
                 "severity": f.severity.value, "path": clean(f.path), "key": clean(f.key),
                 "message": clean(f.message)}
                for f in sorted(report.findings, key=Finding.sort_key)]
    when = taken_at or datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    return {
        "format": FORMAT, "version": VERSION,
        "tool": {"name": "trackcheck", "version": __version__},
        "registry": clean(state.registry), "taken_at": when,
        "lifecycle": list(state.lifecycle), "retired": list(state.retired),
        "models": models, "findings": findings,
    }


def dumps(doc: dict[str, object]) -> str:
    """JSON with one version and one finding per line: small, and readable in a text diff."""
    def one(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    lines += [f" {one(k)}: {one(v)}," for k, v in doc.items() if k not in ("models", "findings")]
    models = doc.get("models") or []
    lines.append(' "models": [')
    for i, m in enumerate(models):  # type: ignore[arg-type]
        head = {k: v for k, v in m.items() if k != "versions"}
        lines.append(f"  {one(head)[:-1]}, \"versions\": [")
        lines += [f"   {one(v)}," for v in m["versions"]]
        if m["versions"]:
            lines[-1] = lines[-1][:-1]
        lines.append("  ]}" + ("," if i < len(models) - 1 else ""))  # type: ignore[arg-type]
    lines.append(" ],")
    findings = doc.get("findings") or []
    lines.append(' "findings": [')
    lines += [f"  {one(f)}," for f in findings]  # type: ignore[union-attr]
    if findings:
        lines[-1] = lines[-1][:-1]
    lines += [" ]", "}"]
    return "\n".join(lines) + "\n"


def write(path: Path, report: Report) -> Snapshot:
    """Write the snapshot of a scrubbed audit report to ``path``; returns what was written."""
    doc = document(report)
    # a name that is not UTF-8 holds lone surrogates: written as \udcXX escapes
    data = dumps(doc).encode("utf-8", "backslashreplace")
    try:
        if path.exists() and not path.is_file():  # a FIFO would block the write until a reader
            raise SnapshotError(f"{path}: cannot write snapshot (not a regular file)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as e:
        raise SnapshotError(f"{path}: cannot write snapshot ({e.strerror or type(e).__name__})"
                            ) from None
    return Snapshot.model_validate(doc)


# --- reading ------------------------------------------------------------------------------
def load(path: Path) -> Snapshot:
    """Read and validate a snapshot file; every string in it comes back masked."""
    try:
        doc = jsonfile.read(path, kind="snapshot", max_bytes=MAX_BYTES,
                            create_hint="write one with trackcheck audit --registry --snapshot "
                                        "FILE")
    except jsonfile.JsonFileError as e:
        raise SnapshotError(str(e)) from None
    return parse(doc, str(path))


def parse(doc: object, where: str = "snapshot") -> Snapshot:
    """Validate a decoded snapshot document (a file's, or a live audit's ``document``)."""
    try:
        jsonfile.check_header(doc, where=where, kind="snapshot", fmt=FORMAT, version=VERSION,
                              write_hint="trackcheck audit --registry --snapshot FILE")
    except jsonfile.JsonFileError as e:
        raise SnapshotError(str(e)) from None
    try:
        snap = Snapshot.model_validate(doc)
    except ValidationError as e:
        first = e.errors(include_input=False, include_url=False)[0]
        raise SnapshotError(f"{where}: not a trackcheck snapshot ({_loc(first['loc'])}: "
                            f"{first['msg']})") from None
    except RecursionError:
        raise SnapshotError(f"{where}: not a trackcheck snapshot (nested too deeply)") from None
    _unique(snap, where)
    return _masked(snap)


def _loc(loc: tuple[int | str, ...]) -> str:
    """Where a validation error sits, without echoing the file's own keys (which could hold
    anything): field names and list positions only."""
    parts = [str(p) if isinstance(p, int) or p.isidentifier() and len(p) < 40 else "<key>"
             for p in loc]
    return ".".join(parts) or "top level"


def _unique(snap: Snapshot, where: str) -> None:
    seen: set[str] = set()
    for i, m in enumerate(snap.models):
        if m.name in seen:
            raise SnapshotError(f"{where}: not a trackcheck snapshot (models.{i}: a model "
                                "listed twice)")
        seen.add(m.name)
        numbers = [v.version for v in m.versions]
        if len(set(numbers)) != len(numbers):
            raise SnapshotError(f"{where}: not a trackcheck snapshot (models.{i}: a version "
                                "listed twice)")


def _masked(snap: Snapshot) -> Snapshot:
    """Every string of a snapshot as output may show it: known token shapes and URI
    passwords masked (a snapshot trackcheck wrote holds none; a hand-made one might)."""
    clean: Callable[[str], str] = scrubber(())

    def fix(value: object) -> object:
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {clean(k) if isinstance(k, str) else k: fix(v) for k, v in value.items()}
        return value

    raw = snap.model_dump()
    cleaned = fix(raw)
    return snap if cleaned == raw else Snapshot.model_validate(cleaned)

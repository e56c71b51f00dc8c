"""Baselines: accepted findings recorded by fingerprint (rule + path + key + slow value hash)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from trackcheck.engine import Report
from trackcheck.findings import Finding

FORMAT = "trackcheck-baseline"
VERSION = 1


class BaselineError(Exception):
    """A missing, corrupt or foreign baseline file; the CLI turns it into exit 2."""


def render(findings: list[Finding]) -> str:
    """Deterministic: sorted, no line numbers, no timestamps, no values."""
    entries = sorted(
        {(f.rule, f.path, f.key, f.fingerprint) for f in findings},
        key=lambda e: (e[1], e[0], e[2], e[3]),
    )
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "findings": [{"rule": r, "path": p, "key": k, "fingerprint": fp} for r, p, k, fp in entries],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, report: Report) -> int:
    text = render(report.findings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    except OSError as e:
        raise BaselineError(f"{path}: cannot write baseline ({e.strerror or type(e).__name__})") from None
    return len(report.findings)


def load(path: Path) -> set[str]:
    try:
        raw = path.read_text("utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (create it with --write-baseline)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BaselineError(f"{path}: cannot read baseline ({type(e).__name__})") from None
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as e:
        raise BaselineError(f"{path}:{e.lineno}: not a trackcheck baseline (invalid JSON)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BaselineError(f"{path}: not a trackcheck baseline (no \"format\": \"{FORMAT}\")")
    if doc.get("version") != VERSION:
        raise BaselineError(f"{path}: unsupported baseline version {doc.get('version')!r} (expected {VERSION})")
    entries = doc.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: 'findings' must be a list")
    out = set()
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("fingerprint"), str):
            raise BaselineError(f"{path}: entry {i} has no 'fingerprint'")
        out.add(e["fingerprint"])
    return out


def apply(report: Report, fingerprints: set[str]) -> None:
    """Move findings whose fingerprint is in the baseline to ``report.suppressed``."""
    kept = []
    for f in report.findings:
        if f.fingerprint in fingerprints:
            report.suppressed.append(replace(f, suppressed="baseline"))
        else:
            kept.append(f)
    report.findings = kept
    report.sort()

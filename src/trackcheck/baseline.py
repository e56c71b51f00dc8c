"""Baselines: accepted findings recorded by fingerprint (rule + path + key + slow value hash)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from trackcheck import jsonfile
from trackcheck.detect.redact import scrubber
from trackcheck.engine import Report
from trackcheck.findings import Finding

FORMAT = "trackcheck-baseline"
VERSION = 1
_FINGERPRINT = re.compile(r"^[0-9a-f]{16,64}$")
# a baseline is a few hundred bytes per accepted finding: past this it is not one we wrote
MAX_BYTES = 64_000_000


class BaselineError(Exception):
    """A missing, corrupt or foreign baseline file; the CLI turns it into exit 2."""


def render(findings: Iterable[Finding], secrets: Iterable[str] = ()) -> str:
    """One entry per finding, sorted; no line numbers, no timestamps, no messages, no values.

    ``rule``, ``path`` and ``key`` are there for the reviewer of the file; only the fingerprint
    decides. Secrets are scrubbed from the readable fields as from every other output (a key
    path could hold a token), as values, not words: a secret that is a word (``password: yaml``)
    leaves ``conf/db/yaml.yaml`` as it is. The fingerprint depends on neither.
    """
    clean = scrubber(secrets)  # the fields, not the JSON: a secret may be a word of the format
    entries = sorted((clean(f.path), f.rule, clean(f.key), f.fingerprint) for f in findings)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "findings": [{"rule": r, "path": p, "key": k, "fingerprint": fp}
                     for p, r, k, fp in entries],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, report: Report) -> int:
    """Write the baseline of ``report``'s reported findings; returns how many.

    An unchanged baseline is left untouched (same bytes, same mtime).
    """
    text = render(report.findings, report.secrets)
    # a file name that is not UTF-8 holds lone surrogates: written as \udcXX escapes
    data = text.encode("utf-8", "backslashreplace")
    try:
        if path.exists() and not path.is_file():  # a FIFO would block the write until a reader
            raise BaselineError(f"{path}: cannot write baseline (not a regular file)")
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return len(report.findings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as e:
        why = e.strerror or type(e).__name__
        raise BaselineError(f"{path}: cannot write baseline ({why})") from None
    return len(report.findings)


def load(path: Path) -> Counter[str]:
    """The fingerprints a baseline accepts, each with how many findings it accepts."""
    try:
        doc = jsonfile.check_header(
            jsonfile.read(path, kind="baseline", max_bytes=MAX_BYTES,
                          create_hint="create it with --write-baseline"),
            where=str(path), kind="baseline", fmt=FORMAT, version=VERSION,
            write_hint="--write-baseline")
    except jsonfile.JsonFileError as e:
        raise BaselineError(str(e)) from None
    entries = doc.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: not a trackcheck baseline ('findings' must be a list)")
    out: Counter[str] = Counter()
    for i, e in enumerate(entries):
        fp = e.get("fingerprint") if isinstance(e, dict) else None
        if not isinstance(fp, str) or not _FINGERPRINT.match(fp):
            raise BaselineError(f"{path}: baseline entry {i} has no valid 'fingerprint'")
        out[fp] += 1
    return out


def apply(report: Report, accepted: Counter[str] | set[str]) -> None:
    """Move findings the baseline accepts to ``report.suppressed`` (reason ``baseline``).

    An entry accepts one finding: a second finding with the same identity is new.
    """
    left = Counter(accepted)
    kept = []
    for f in sorted(report.findings, key=Finding.sort_key):
        if left[f.fingerprint] > 0:
            left[f.fingerprint] -= 1
            report.suppressed.append(replace(f, suppressed="baseline"))
        else:
            kept.append(f)
    report.findings = kept
    report.sort()

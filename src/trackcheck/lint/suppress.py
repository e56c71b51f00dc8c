"""Inline suppressions: ``# trackcheck: ignore[TC101] reason="..."`` and ``ignore-file[...]``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_COMMENT = re.compile(r"#\s*trackcheck\s*:\s*(?P<body>.*)$")
_DIRECTIVE = re.compile(
    r'^(?P<kind>ignore-file|ignore)\b(?:\[(?P<codes>[^\]]*)\])?\s*(?:reason\s*=\s*"(?P<reason>[^"]*)")?\s*$'
)
_CODE = re.compile(r"^TC\d{3}$")


@dataclass
class Suppression:
    line: int
    column: int
    file_wide: bool
    codes: tuple[str, ...]
    reason: str | None
    malformed: str | None = None  # why it suppresses nothing by construction
    used: set[str] = field(default_factory=set)


def parse(text: str) -> list[Suppression]:
    out: list[Suppression] = []
    if "trackcheck" not in text:
        return out
    for i, line in enumerate(text.splitlines(), 1):
        if "trackcheck" not in line:
            continue
        m = _COMMENT.search(line)
        if not m:
            continue
        body = m.group("body").strip()
        d = _DIRECTIVE.match(body)
        col = m.start() + 1
        if not d:
            out.append(Suppression(i, col, False, (), None, f"malformed suppression '{body[:60]}'"))
            continue
        raw = d.group("codes")
        codes = tuple(c.strip() for c in raw.split(",") if c.strip()) if raw else ()
        s = Suppression(i, col, d.group("kind") == "ignore-file", codes, d.group("reason"))
        if not codes:
            s.malformed = f"'{d.group('kind')}' without codes suppresses nothing; name the codes, e.g. {d.group('kind')}[TC101]"
        out.append(s)
    return out


def is_known_code(code: str, known: set[str]) -> bool:
    return bool(_CODE.match(code)) and code in known

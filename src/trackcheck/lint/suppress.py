"""Inline suppressions: ``# trackcheck: ignore[TC101] reason="..."`` and ``ignore-file[...]``."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

_COMMENT = re.compile(r"#\s*trackcheck\s*:\s*(?P<body>.*)$")
_DIRECTIVE = re.compile(
    r'^(?P<kind>ignore-file|ignore)\b\s*(?:\[(?P<codes>[^\]]*)\])?\s*'
    r'(?:reason\s*=\s*(?:"(?P<reason>[^"]*)"|\'(?P<reason1>[^\']*)\'))?\s*$'
)
_USAGE = 'expected ignore[CODES] or ignore-file[CODES], optionally followed by reason="..."'
_CODE = re.compile(r"^TC\d{3}$")


@dataclass
class Suppression:
    line: int
    column: int
    file_wide: bool
    codes: tuple[str, ...]
    reason: str | None
    malformed: str | None = None  # why it suppresses nothing by construction
    body: str = ""  # the directive as written: identifies the suppression without its line number
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
            # the comment is not echoed: people paste all sorts of things after a '#'
            out.append(Suppression(i, col, False, (), None, f"malformed suppression: {_USAGE}",
                                   body=body))
            continue
        raw = d.group("codes")
        # codes are case-insensitive, as on the command line
        codes = tuple(dict.fromkeys(c.strip().upper() for c in (raw or "").split(",") if c.strip()))
        reason = d.group("reason") if d.group("reason") is not None else d.group("reason1")
        s = Suppression(i, col, d.group("kind") == "ignore-file", codes, reason, body=body)
        if not codes:
            kind = d.group("kind")
            s.malformed = (f"'{kind}' without codes suppresses nothing; name the codes, "
                           f"e.g. {kind}[TC101]")
        out.append(s)
    return out


def is_known_code(code: str, known: set[str]) -> bool:
    return bool(_CODE.match(code)) and code in known


def yaml_comments(text: str, sups: list[Suppression]) -> list[Suppression]:
    """The suppressions that stand in a real YAML comment, not inside a scalar (a block scalar's
    line, a multi-line quoted string): ``# trackcheck: ignore[...]`` there is text of a value.
    Scans the tokens again only for a file that has suppressions; a file that does not scan is
    read as far as it goes (its remaining suppressions stand, as before)."""
    import yaml

    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    try:
        for tok in yaml.scan(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(tok, yaml.ScalarToken):
                spans.append(((tok.start_mark.line + 1, tok.start_mark.column + 1),
                               (tok.end_mark.line + 1, tok.end_mark.column + 1)))
    except (yaml.YAMLError, ValueError, RecursionError):
        pass
    starts = [a for a, _ in spans]  # tokens come in document order and never overlap

    def in_scalar(x: Suppression) -> bool:
        i = bisect_right(starts, (x.line, x.column))
        return i > 0 and (x.line, x.column) < spans[i - 1][1]

    return [x for x in sups if not in_scalar(x)]


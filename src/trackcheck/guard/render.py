"""The ledger as people read it: one line per write (text), or the entries as JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from trackcheck import __version__
from trackcheck.state import utc_text as when

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _s(value: Any) -> str:
    """A server-provided name on one line: control characters escaped, never interpreted."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(value))


def _what(e: dict[str, Any]) -> str:
    action = _s(e.get("action", "?"))
    model = _s(e.get("model", "?"))
    frm, to = e.get("from_version"), e.get("to_version")
    if action == "adopt":
        return (f"{model}: '{_s(e.get('alias'))}' was on version {to} when the guard started"
                if e.get("alias") else f"guard started: {_s(e.get('message') or '')}")
    if action == "set_alias":
        moved = f"{frm} -> {to}" if frm is not None else f"-> {to}"
        return f"{model}: set '{_s(e.get('alias'))}' {moved}"
    if action == "delete_alias":
        return f"{model}: delete '{_s(e.get('alias'))}'" + (f" (was {frm})" if frm else "")
    if action == "rename_model":
        return f"{model}: rename to '{_s(e.get('new_name'))}'"
    if action == "transition_stage":
        return f"{model}: version {to} to stage '{_s(e.get('stage'))}'"
    key = f" '{_s(e['key'])}'" if e.get("key") else ""
    ver = f" version {to}" if to is not None else ""
    return f"{model}:{ver} {action.replace('_', ' ')}{key}"


def _line(e: dict[str, Any]) -> str:
    actor = _s(e.get("actor") or "unknown user")
    verdict = _s(e.get("verdict", "?"))
    outcome = e.get("outcome")
    tail = verdict.upper() if verdict == "denied" else verdict
    if e.get("rules"):
        tail += f" {_s(e['rules'])}"
    if outcome not in (None, "ok", "refused") and verdict != "adopted":
        tail += f" (MLflow: {_s(outcome)})"
    by = "" if e.get("action") == "adopt" else f" by {actor}"
    line = f"{when(e.get('time'))}  {_what(e)}{by}  {tail}"
    if verdict in ("denied", "observed") and e.get("message"):
        line += f"\n    {_s(e['message'])}"
    return line


def render_history(entries: Sequence[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"version": 1, "tool": {"name": "trackcheck", "version": __version__},
                           "entries": list(entries)}, indent=2) + "\n"
    lines = [_line(e) for e in entries]
    denied = sum(1 for e in entries if e.get("verdict") == "denied")
    lines.append(f"{len(entries)} ledger entr{'y' if len(entries) == 1 else 'ies'}, "
                 f"{denied} refused")
    return "\n".join(lines) + "\n"

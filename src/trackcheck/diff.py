"""``trackcheck diff``: what changed between two registry snapshots, in text, JSON, Markdown, HTML.

Changes are read from the two states alone: aliases moved (from -> to; set or removed when one
side has none), versions added, deleted, archived (they became retired: a retired alias such as
``archived``, or a stage that maps to one) or restored, status and stage changes, models added
and deleted, and findings new and fixed, by fingerprint (an entry counts once: a second finding
with the same identity is new, as in baselines).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from trackcheck import __version__
from trackcheck.snapshot import FindingEntry, ModelEntry, Snapshot, SnapshotError, VersionEntry

__all__ = ["Diff", "SnapshotError", "compare", "RENDERERS", "FORMATS"]


@dataclass(frozen=True)
class AliasMove:
    model: str
    alias: str
    old: int | None  # None: the alias was set
    new: int | None  # None: the alias was removed (or its version deleted)


@dataclass(frozen=True)
class VersionRef:
    model: str
    version: int


@dataclass(frozen=True)
class VersionChange:
    model: str
    version: int
    field: str  # status | stage
    old: str
    new: str


@dataclass(frozen=True)
class Side:
    registry: str
    taken_at: str


@dataclass
class Diff:
    old: Side
    new: Side
    models_added: list[str] = field(default_factory=list)
    models_deleted: list[str] = field(default_factory=list)
    aliases: list[AliasMove] = field(default_factory=list)
    versions_added: list[VersionRef] = field(default_factory=list)
    versions_deleted: list[VersionRef] = field(default_factory=list)
    versions_archived: list[VersionRef] = field(default_factory=list)
    versions_restored: list[VersionRef] = field(default_factory=list)
    versions_changed: list[VersionChange] = field(default_factory=list)
    findings_new: list[FindingEntry] = field(default_factory=list)
    findings_fixed: list[FindingEntry] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "models_added": len(self.models_added), "models_deleted": len(self.models_deleted),
            "aliases_moved": len(self.aliases), "versions_added": len(self.versions_added),
            "versions_deleted": len(self.versions_deleted),
            "versions_archived": len(self.versions_archived),
            "versions_restored": len(self.versions_restored),
            "versions_changed": len(self.versions_changed),
            "findings_new": len(self.findings_new), "findings_fixed": len(self.findings_fixed),
        }

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


def compare(old: Snapshot, new: Snapshot,
            wants: Callable[[str], bool] = lambda code: True) -> Diff:
    """The changes from ``old`` to ``new``; ``wants(code)`` picks the findings compared."""
    d = Diff(Side(old.registry, old.taken_at), Side(new.registry, new.taken_at))
    before = {m.name: m for m in old.models}
    after = {m.name: m for m in new.models}
    d.models_added = sorted(after.keys() - before.keys())
    d.models_deleted = sorted(before.keys() - after.keys())
    for name in sorted(before.keys() | after.keys()):
        _model(d, name, before.get(name), after.get(name))
    d.findings_new = _more(new.findings, old.findings, wants)
    d.findings_fixed = _more(old.findings, new.findings, wants)
    return d


def _model(d: Diff, name: str, old: ModelEntry | None, new: ModelEntry | None) -> None:
    a, b = (old.aliases if old else {}), (new.aliases if new else {})
    for alias in sorted(a.keys() | b.keys()):
        if a.get(alias) != b.get(alias):
            d.aliases.append(AliasMove(name, alias, a.get(alias), b.get(alias)))
    va: dict[int, VersionEntry] = {v.version: v for v in (old.versions if old else [])}
    vb: dict[int, VersionEntry] = {v.version: v for v in (new.versions if new else [])}
    for n in sorted(va.keys() | vb.keys()):
        x, y = va.get(n), vb.get(n)
        if x is None:
            d.versions_added.append(VersionRef(name, n))
        elif y is None:
            d.versions_deleted.append(VersionRef(name, n))
        else:
            if y.retired and not x.retired:
                d.versions_archived.append(VersionRef(name, n))
            elif x.retired and not y.retired:
                d.versions_restored.append(VersionRef(name, n))
            for what in ("status", "stage"):
                if getattr(x, what) != getattr(y, what):
                    d.versions_changed.append(
                        VersionChange(name, n, what, getattr(x, what), getattr(y, what)))


def _more(these: Sequence[FindingEntry], than: Sequence[FindingEntry],
          wants: Callable[[str], bool]) -> list[FindingEntry]:
    """Entries of ``these`` beyond what ``than`` holds, by fingerprint, each counted once."""
    left = Counter(f.fingerprint for f in than if wants(f.rule))
    out = []
    for f in these:
        if not wants(f.rule):
            continue
        if left[f.fingerprint] > 0:
            left[f.fingerprint] -= 1
        else:
            out.append(f)
    return sorted(out, key=lambda f: (f.path, f.rule, f.key, f.fingerprint))


# --- renderers --------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _one_line(s: str) -> str:
    """Control characters escaped: a crafted name must not forge a line or drive a terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], s)


def _v(n: int | None, missing: str) -> str:
    return missing if n is None else f"v{n}"


def _alias_text(m: AliasMove) -> str:
    return f"{_v(m.old, '(unset)')} -> {_v(m.new, '(removed)')}"


def _heading(d: Diff) -> str:
    return (f"registry {d.old.registry} at {d.old.taken_at} -> "
            f"{d.new.registry} at {d.new.taken_at}")


def _summary(d: Diff) -> str:
    c = d.counts()
    if d.empty:
        return "no change"
    parts = [f"{n} {k.replace('_', ' ')}" for k, n in c.items() if n]
    return ", ".join(parts)


def text(d: Diff) -> str:
    t = _one_line
    out = [t(_heading(d))]

    def section(title: str, lines: list[str]) -> None:
        if lines:
            out.append(f"{title}:")
            out.extend(f"  {t(line)}" for line in lines)

    section("models added", d.models_added)
    section("models deleted", d.models_deleted)
    section("aliases moved", [f"{m.model}@{m.alias}: {_alias_text(m)}" for m in d.aliases])
    section("versions added", [f"{v.model} v{v.version}" for v in d.versions_added])
    section("versions archived", [f"{v.model} v{v.version}" for v in d.versions_archived])
    section("versions restored", [f"{v.model} v{v.version}" for v in d.versions_restored])
    section("versions deleted", [f"{v.model} v{v.version}" for v in d.versions_deleted])
    section("versions changed", [f"{c.model} v{c.version} {c.field}: {c.old} -> {c.new}"
                                 for c in d.versions_changed])
    section("findings new", [f"{f.path}: {f.rule} {f.message} [{f.severity}]"
                             for f in d.findings_new])
    section("findings fixed", [f"{f.path}: {f.rule} {f.message} [{f.severity}]"
                               for f in d.findings_fixed])
    out.append(_summary(d))
    return "\n".join(out) + "\n"


def json_(d: Diff) -> str:
    doc = {"version": 1, "tool": {"name": "trackcheck", "version": __version__},
           **{k: v for k, v in asdict(d).items()}, "summary": d.counts()}
    doc["findings_new"] = [f.model_dump() for f in d.findings_new]
    doc["findings_fixed"] = [f.model_dump() for f in d.findings_fixed]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _md(s: str) -> str:
    """Text for Markdown (a pull-request or chat message): markup characters escaped, HTML
    characters as entities, control characters escaped; a name cannot become a link, an image
    or a table cell."""
    s = _one_line(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def markdown(d: Diff) -> str:
    out = ["### trackcheck: registry changes", "",
           f"{_md(d.old.registry)} at {_md(d.old.taken_at)} → {_md(d.new.registry)} at "
           f"{_md(d.new.taken_at)}", ""]
    if d.empty:
        out += ["No change.", ""]
        return "\n".join(out)

    def section(title: str, lines: list[str]) -> None:
        if lines:
            out.extend([f"**{title}**", "", *(f"- {line}" for line in lines), ""])

    def ver(v: VersionRef) -> str:
        return f"{_md(v.model)} v{v.version}"

    def finding(f: FindingEntry) -> str:
        return f"{_md(f.rule)} {_md(f.message)} ({_md(f.path)}, {f.severity})"

    section(f"Findings new ({len(d.findings_new)})", [finding(f) for f in d.findings_new])
    section(f"Findings fixed ({len(d.findings_fixed)})", [finding(f) for f in d.findings_fixed])
    section("Aliases moved", [
        f"{_md(m.model)} @{_md(m.alias)}: {_md(_alias_text(m).replace(' -> ', ' → '))}"
        for m in d.aliases])
    section("Versions added", [ver(v) for v in d.versions_added])
    section("Versions archived", [ver(v) for v in d.versions_archived])
    section("Versions restored", [ver(v) for v in d.versions_restored])
    section("Versions deleted", [ver(v) for v in d.versions_deleted])
    section("Versions changed", [f"{_md(c.model)} v{c.version} {c.field}: {_md(c.old)} → "
                                 f"{_md(c.new)}" for c in d.versions_changed])
    section("Models added", [_md(n) for n in d.models_added])
    section("Models deleted", [_md(n) for n in d.models_deleted])
    out.append(_md(_summary(d)))
    return "\n".join(out) + "\n"


def html(d: Diff) -> str:
    from trackcheck.html_report import render_diff

    return render_diff(d)


RENDERERS: dict[str, Callable[[Diff], str]] = {
    "text": text, "json": json_, "markdown": markdown, "html": html,
}
FORMATS = tuple(RENDERERS)

"""Fixes for lint findings (`--fix`, `--unsafe-fixes`, `--diff`): YAML rewritten round-trip.

As in ruff, a *safe* fix never changes what a config means and an *unsafe* one may, so it runs
only with ``--unsafe-fixes``. Each fix edits the one value or key its finding names, located by
the finding's key path in a ruamel.yaml round-trip tree and checked against the finding's line.
ruamel re-renders some text it does not need to touch (spacing after a colon, ``~``, trailing
blanks), so only the lines the fix changed are grafted into the original text; the result is
checked to mean the same as ruamel's own rendering, which is used instead if it does not.

Only Hydra config is fixed (``${oc.env:...}`` means nothing in CI YAML, and `.env` files are not
YAML), one document per file: a multi-document file is left alone. Suppressed and baselined
findings are not fixed. Nothing is written besides the fixed files themselves, and the diff
shows every secret masked, on both sides.

ruamel.yaml is imported here only, and only when a fix runs: plain lint never pays for it.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from trackcheck.detect.keys import key_words
from trackcheck.detect.redact import mask, scrubber
from trackcheck.detect.uris import parse_model_uri
from trackcheck.engine import Report
from trackcheck.findings import Finding, fingerprint
from trackcheck.lint.context import LintContext
from trackcheck.lint.discover import Target
from trackcheck.lint.document import Document, Node, build
from trackcheck.lint.rules import RULES
from trackcheck.lint.rules.tc150_mlflow_schema import typo_of
from trackcheck.policy import Policy
from trackcheck.rule import Hit

_ENV_VAR = re.compile(r"[A-Z_][A-Z0-9_]*")
_INDEX = re.compile(r"\[(\d+)\]")
# where a secret sits on a line: (1-based column, value); the value "" masks the rest of the line
Span = tuple[int, str]
_ANCHOR = re.compile(r"(?<![^\s\[{,])&([^\s,\[\]{}]+)")
_ALIAS = re.compile(r"\*([^\s,\[\]{}]+)")


def available() -> bool:
    """True when ruamel.yaml (a dependency of trackcheck) can be imported."""
    try:
        import ruamel.yaml  # noqa: F401
    except ImportError:
        return False
    return True


# --- what a fixer sees and returns -----------------------------------------------------------
@dataclass
class Site:
    """A finding in place: its lint node and hit, and the ruamel container that holds it."""

    finding: Finding
    hit: Hit
    node: Node
    parent: Any  # ruamel CommentedMap or CommentedSeq
    index: Any  # the key in ``parent`` (as ruamel loaded it) or the list index


@dataclass
class Edit:
    safe: bool
    apply: Callable[[], bool]  # False when the value changed under it (another fix came first)
    removes_secret: bool = False
    rename: bool = False  # renames run after value edits: they reorder a mapping's keys


@dataclass
class Outcome:
    finding: Finding
    status: str  # "fixed" | "unsafe" (needs --unsafe-fixes) | "unfixable"
    reason: str = ""
    removes_secret: bool = False


Fixer = Callable[[Site, "_Fixing"], "Edit | str"]


def _styled(old: Any, new: str, *, whole: bool = True) -> Any:
    """``new`` in the style of ``old``: quotes are kept; a block scalar stays one when only a
    part of it changed, and becomes plain when all of it is replaced (ruamel would keep the
    block style otherwise); a plain value stays plain, quoted by ruamel only where YAML needs it."""
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        FoldedScalarString,
        LiteralScalarString,
        PlainScalarString,
        SingleQuotedScalarString,
    )

    if isinstance(old, (SingleQuotedScalarString, DoubleQuotedScalarString)):
        return type(old)(new)
    if isinstance(old, (LiteralScalarString, FoldedScalarString)):
        if whole:
            return PlainScalarString(new)
        styled = type(old)(new)
        if isinstance(old, FoldedScalarString) and getattr(old, "fold_pos", None):
            # keep the line breaks of a folded scalar where the edit did not move them
            start, delta = len(os.path.commonprefix([str(old), new])), len(new) - len(old)
            end = len(old) - len(os.path.commonprefix([str(old)[::-1], new[::-1]]))
            styled.fold_pos = [p if p < start else p + delta for p in old.fold_pos
                               if p < start or p >= end]
        return styled
    return new


def _rewrite(site: Site, transform: Callable[[str], str | None], *,
             whole: bool) -> Callable[[], bool]:
    """An edit of the site's value: ``transform`` gets the current text. A ``whole`` rewrite
    replaces the value and applies only while it is still the value the finding saw."""

    def apply() -> bool:
        cur = site.parent[site.index]
        if whole and isinstance(cur, str) and cur != site.node.value:
            return False
        if not whole and not isinstance(cur, str):
            return False
        new = transform(str(cur) if cur is not None else "")
        if new is None or new == cur:
            return False
        site.parent[site.index] = _styled(cur, new, whole=whole)
        return True

    return apply


# --- the fixers ------------------------------------------------------------------------------
def _tc101(site: Site, fx: _Fixing) -> Edit | str:
    var = "MLFLOW_REGISTRY_URI" if "registry" in site.node.name.lower() else "MLFLOW_TRACKING_URI"
    return Edit(False, _rewrite(site, lambda _: f"${{oc.env:{var}}}", whole=True),
                removes_secret=site.hit.secret)


def env_var_for(key: str, name: str = "") -> str | None:
    """``db.password`` → ``PASSWORD``, ``auth.apiKey`` → ``API_KEY``, ``keys[0]`` → ``KEYS_0``:
    the key path's last segment in capitals; None when no variable name can be made of it."""
    tail = name or key.rsplit(".", 1)[-1]
    var = "_".join(key_words(tail)).upper()
    return var if _ENV_VAR.fullmatch(var) else None


def _tc111(site: Site, fx: _Fixing) -> Edit | str:
    var = env_var_for(site.node.key, site.node.name)
    if var is None:
        return f"no environment variable name can be made from '{site.node.key}'"
    return Edit(False, _rewrite(site, lambda _: f"${{oc.env:{var}}}", whole=True),
                removes_secret=True)


def drop_env_default(text: str, default: str) -> str | None:
    """The string with the default of the first ``${oc.env:VAR,<default>}`` whose default is
    ``default`` removed (``${oc.env:VAR}``), nested lookups included; None if there is none."""
    from omegaconf import grammar_parser
    from omegaconf.grammar.gen.OmegaConfGrammarParser import OmegaConfGrammarParser as P

    try:
        tree = grammar_parser.parse(text)
    except Exception:
        return None
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if (isinstance(node, P.InterpolationResolverContext)
                and node.resolverName().getText() == "oc.env"):
            seq = node.sequence()
            kids = list(seq.getChildren()) if seq is not None else []
            els = list(seq.element()) if seq is not None else []
            if len(els) >= 2 and len(kids) >= 3:
                raw = els[1].getText()
                quoted = len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\""
                unquoted = raw[1:-1] if quoted else raw
                if default in (raw, unquoted):
                    comma = next(k for k in kids if getattr(k, "symbol", None) is not None)
                    return text[: comma.symbol.start] + text[seq.stop.stop + 1 :]
        kids = [c for c in node.getChildren() if hasattr(c, "getChildren")] \
            if hasattr(node, "getChildren") else []
        stack.extend(reversed(kids))  # left to right, outer calls first
    return None


def _tc104(site: Site, fx: _Fixing) -> Edit | str:
    default = site.hit.value or ""
    if drop_env_default(site.node.value, default) is None:
        return "the env lookup's default could not be found in the value"
    return Edit(False, _rewrite(site, lambda t: drop_env_default(t, default), whole=False),
                removes_secret=site.hit.secret)


_URI_STOP = frozenset(" \t\r\n'\"`,;()[]{}<>")


def replace_uri(text: str, old: str, new: str) -> str | None:
    """``text`` with the first whole ``models:/`` URI ``old`` replaced by ``new`` (a URI ends
    where ``uri_refs`` ends it: at a space, quote or bracket, or at prose punctuation)."""
    start = text.find(old)
    while start >= 0:
        before = text[start - 1] if start else " "
        rest = text[start + len(old) :]
        tail = rest.lstrip(".:")
        ends = not rest or rest[0] in _URI_STOP or (
            rest[0] in ".:" and (not tail or tail[0] in _URI_STOP))
        if ends and not (before.isalnum() or before in "_.+-"):
            return text[:start] + new + rest
        start = text.find(old, start + 1)
    return None


def _tc131(site: Site, fx: _Fixing) -> Edit | str:
    uri = site.hit.value or ""
    parsed = parse_model_uri(uri)
    if uri.startswith("runs:/") or parsed is None:
        return "a run's artifacts have no alias: register the model and use models:/<name>@<alias>"
    name, version, stage = parsed["name"] or "", parsed["version"], parsed["stage"]
    if version is not None:
        return (f"version {version} has no alias equivalent: point an alias at it in the registry "
                "and reference the alias")
    if stage is None:
        return "a logged model by id has no alias: register it and use models:/<name>@<alias>"
    if "${" in name + stage or len(uri.rstrip("/").split("/")) > 3:
        return "the reference is built from an interpolation or has a path after the stage"
    if stage.lower() == "latest":
        return "'latest' has no alias equivalent: reference the alias that is reviewed"
    alias = {k.lower(): v for k, v in fx.policy.aliases.stage_to_alias.items()}.get(stage.lower())
    if alias is None:
        return f"stage '{stage}' has no alias in the policy's aliases.stage_to_alias"
    allowed = fx.policy.aliases.allowed
    if allowed and alias not in allowed and (fx.policy.aliases.case_sensitive or alias.lower()
                                             not in {a.lower() for a in allowed}):
        return f"alias '{alias}' (aliases.stage_to_alias) is not an allowed alias"
    new = f"models:/{name}@{alias}"
    return Edit(False, _rewrite(site, lambda t: replace_uri(t, uri, new), whole=False))


def _tc150(site: Site, fx: _Fixing) -> Edit | str:
    old = site.index
    if not isinstance(old, str) or not site.node.name:
        return "the key is not a plain string"
    parent_key = site.node.key[: -len(site.node.name)].rstrip(".")
    schema = (fx.policy.mlflow.register_keys if parent_key.rsplit(".", 1)[-1] == "register"
              else fx.policy.mlflow.keys)
    if site.node.name in schema:
        return "a value of the wrong type has no automatic fix"
    new = typo_of(site.node.name, list(schema))
    if new is None:
        return "no known key is close enough to rename it to"
    if new in site.parent.lc.data:
        return f"'{new}' is already set at this level"
    if site.parent.merge:
        return "the mapping takes keys from a YAML merge (<<)"
    # an interpolation that refers to the misspelt key would break: then the rename is unsafe
    safe = not fx.referenced(site.node.name)

    def apply() -> bool:
        cm = site.parent
        if old not in cm.lc.data or new in cm:
            return False
        pos = list(cm.keys()).index(old)
        value, comment = cm[old], cm.ca.items.pop(old, None)
        del cm[old]
        cm.insert(pos, _styled(old, new), value)
        if comment is not None:
            cm.ca.items[new] = comment
        return True

    return Edit(safe, apply, rename=True)


FIXERS: dict[str, Fixer] = {"TC101": _tc101, "TC104": _tc104, "TC111": _tc111, "TC131": _tc131,
                            "TC150": _tc150}
# how each fix behaves, for the documentation and the tests
APPLICABILITY = {
    "TC101": "unsafe: the URI becomes ${oc.env:MLFLOW_TRACKING_URI} "
             "(${oc.env:MLFLOW_REGISTRY_URI} for a registry URI key)",
    "TC104": "unsafe: the default is dropped from the env lookup",
    "TC111": "unsafe: the secret becomes ${oc.env:<KEY_IN_CAPS>}",
    "TC131": "unsafe: a stage becomes its alias (aliases.stage_to_alias); versions are not fixable",
    "TC150": "safe when the known key is absent at that level: the misspelt key is renamed "
             "(unsafe when an interpolation refers to the misspelt key)",
}


# --- the engine --------------------------------------------------------------------------------
class _Fixing:
    """What fixers share in one run: the policy and the Hydra texts references are looked up in."""

    def __init__(self, policy: Policy, targets: Sequence[Target]):
        self.policy = policy
        self.targets = targets
        self._texts: list[str] | None = None

    def _hydra_texts(self) -> list[str]:
        if self._texts is None:
            paths = {t.path for t in self.targets if t.kind == "hydra"}
            for root in map(Path, self.policy.config_roots):
                if not root.is_dir():
                    continue
                for base, dirs, files in os.walk(root):
                    dirs[:] = [d for d in dirs if not d.startswith(".")]
                    paths.update(Path(base) / f for f in files if f.endswith((".yaml", ".yml")))
            self._texts = []
            for p in sorted(paths):
                try:
                    st = p.stat()  # a FIFO would block the read: regular files only
                    if stat.S_ISREG(st.st_mode) and st.st_size <= self.policy.max_file_bytes:
                        self._texts.append(p.read_text("utf-8", errors="replace"))
                except OSError:
                    continue
        return self._texts

    def referenced(self, name: str) -> bool:
        """Some interpolation in the config tree may refer to a key called ``name``."""
        pat = re.compile(r"\$\{[^}]*(?<![\w-])" + re.escape(name) + r"(?![\w-])")
        return any(pat.search(t) for t in self._hydra_texts())


@dataclass
class FileFix:
    target: Target
    old: str = ""
    new: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    # where secrets sit in the old and the new text (see ``_secret_spans``)
    old_secrets: dict[int, list[Span]] = field(default_factory=dict)
    new_secrets: dict[int, list[Span]] = field(default_factory=dict)
    encoding: tuple[bool, bool] = (False, False)  # (BOM, CRLF) of the file as read

    @property
    def changed(self) -> bool:
        return self.new != self.old


@dataclass
class FixResult:
    files: list[FileFix] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    def outcomes(self, status: str) -> list[Outcome]:
        return [o for f in self.files for o in f.outcomes if o.status == status]

    @property
    def changed(self) -> list[FileFix]:
        return [f for f in self.files if f.changed]

    def diff(self) -> str:
        """Unified diff of every changed file, secrets masked on both sides. A hunk that shows
        a secret is for review, not for ``git apply``; every other hunk applies as printed."""
        clean = scrubber(self.secrets)
        return "".join(_diff(f, clean) for f in self.changed)

    def write(self) -> list[str]:
        """Write the fixed files in place (no backup, no temporary copy); errors, one line each."""
        errors = []
        here = os.path.realpath(os.getcwd())
        for f in self.changed:
            bom, crlf = f.encoding
            text = f.new.replace("\n", "\r\n") if crlf else f.new
            why = _unsafe_to_write(f.target.path, here)
            if why:
                errors.append(f"{f.target.rel}: not fixed in place: {why}")
                continue
            try:
                # O_NOFOLLOW: a link swapped in after the check is refused, not followed
                fd = os.open(f.target.path, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
                with open(fd, "wb") as fh:
                    fh.write((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
            except OSError as e:
                errors.append(f"{f.target.rel}: cannot write the fixed file "
                              f"({e.strerror or type(e).__name__})")
        return errors

    def notes(self) -> Iterator[str]:
        """One line per finding of a fixable rule that no fix handles, with the reason."""
        for f in self.files:
            for o in f.outcomes:
                where = f"{o.finding.path}:{o.finding.line or 0}:{o.finding.column or 0}"
                if o.status == "unfixable":
                    yield f"{where}: {o.finding.rule} not fixed: {o.reason}"

    def rotation_notes(self, *, applied: bool) -> Iterator[str]:
        for o in self.outcomes("fixed"):
            if o.removes_secret:
                verb = "removed" if applied else "would remove"
                yield (f"{o.finding.path}:{o.finding.line or 0}: {o.finding.rule} {verb} a "
                       f"committed secret from '{o.finding.key}': it stays in the git history; "
                       "rotate it")


def _unsafe_to_write(path: Path, here: str) -> str | None:
    """Why a fix must not write ``path``: a symbolic link (a committed link could point anywhere,
    ``~/.bashrc`` included), a file outside the working directory, or not a regular file."""
    if os.path.islink(path):
        return "it is a symbolic link (fix its target by name, if it is in the repository)"
    real = os.path.realpath(path)
    if os.path.commonpath([real, here]) != here:
        return "it lies outside the working directory"
    if not os.path.isfile(real):
        return "not a regular file"
    return None


def plan(targets: Sequence[Target], report: Report, policy: Policy, *,
         unsafe: bool = False) -> FixResult:
    """Work out every fix for the reported (not suppressed) findings; writes nothing."""
    ctx = LintContext(policy)
    fx = _Fixing(policy, targets)
    result = FixResult(secrets=set(report.secrets))
    wanted: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.rule in FIXERS:
            wanted.setdefault(f.path, []).append(f)
    for target in targets:
        found = wanted.get(target.rel)
        if found:
            result.files.append(_fix_file(target, sorted(found, key=Finding.sort_key), policy, ctx,
                                          fx, unsafe, result.secrets))
    return result


def _unfixable(ff: FileFix, findings: Iterable[Finding], reason: str) -> FileFix:
    ff.outcomes.extend(Outcome(f, "unfixable", reason) for f in findings)
    return ff


def _yaml(text: str) -> Any:
    """A round-trip ruamel.yaml instance set up to write ``text``'s own layout back."""
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1 << 30  # never wrap a long line
    mapping, sequence, offset = detect_indent(text)
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def _dump(y: Any, tree: Any) -> str:
    buf = io.StringIO()
    y.dump(tree, buf)
    return buf.getvalue()


def _fix_file(target: Target, found: list[Finding], policy: Policy, ctx: LintContext,
              fx: _Fixing, unsafe: bool, secrets: set[str]) -> FileFix:
    from trackcheck.lint.runner import load

    ff = FileFix(target)
    if target.kind != "hydra":
        return _unfixable(ff, found, "not Hydra config: an OmegaConf env lookup means nothing here")
    doc = load(target, policy)
    if doc.problems or len(doc.roots) != 1:
        why = "a multi-document file" if len(doc.roots) > 1 else "the file cannot be read as YAML"
        return _unfixable(ff, found, why)
    ff.old_secrets = _secret_spans(doc, ctx, secrets)
    try:
        raw = target.path.read_bytes()
    except OSError:
        return _unfixable(ff, found, "the file cannot be read")
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw[3 if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError:
        return _unfixable(ff, found, "the file is not UTF-8")
    if text != doc.text:
        return _unfixable(ff, found, "the file changed while it was being fixed")
    crlf = "\r\n" in text
    work = text.replace("\r\n", "\n")
    ff.old = ff.new = work
    ff.encoding = (bom, crlf)
    y = _yaml(work)
    try:
        tree = y.load(work)
    except Exception as e:  # ruamel's messages quote the text, which may hold a secret
        return _unfixable(ff, found, f"ruamel.yaml cannot read the file ({type(e).__name__})")

    hits: dict[tuple[str, int | None, int | None], list[Hit]] = {}
    for rule in RULES:
        if rule.code in {f.rule for f in found}:
            for h in rule.check(doc, ctx):
                fp = fingerprint(rule.code, h.path, h.key, h.value)
                hits.setdefault((fp, h.line, h.column), []).append(h)
    edits: list[tuple[Finding, Edit]] = []
    for f in found:
        matching = hits.get((f.fingerprint, f.line, f.column))
        hit = matching.pop(0) if matching else None
        node = _lint_node(doc, hit) if hit is not None else None
        if hit is None or node is None:
            ff.outcomes.append(Outcome(f, "unfixable",
                                       "the finding does not come from this file alone"))
            continue
        loc = _locate(tree, hit.key, node)
        if loc is None:
            ff.outcomes.append(Outcome(f, "unfixable", "the value could not be located in the file "
                                       "(it may come through a YAML merge)"))
            continue
        site = Site(f, hit, node, *loc)
        anchor = getattr(getattr(site.parent[site.index], "anchor", None), "value", None)
        got = FIXERS[f.rule](site, fx)
        if isinstance(got, Edit) and anchor and not got.rename:
            got = f"the value is anchored (&{anchor}): its aliases share it"
        if isinstance(got, str):
            ff.outcomes.append(Outcome(f, "unfixable", got))
        elif not (got.safe or unsafe):
            ff.outcomes.append(Outcome(f, "unsafe", "needs --unsafe-fixes", got.removes_secret))
        else:
            edits.append((f, got))
    if not edits:
        return ff
    base = _dump(y, tree)
    for f, e in sorted(edits, key=lambda fe: fe[1].rename):
        if e.apply():
            ff.outcomes.append(Outcome(f, "fixed", removes_secret=e.removes_secret))
        else:
            ff.outcomes.append(Outcome(f, "unfixable", "another fix changed the same value first"))
    if not ff.outcomes or all(o.status != "fixed" for o in ff.outcomes):
        return ff
    ff.new = _merge(work, base, _dump(y, tree))
    if not work.endswith("\n") and ff.new.endswith("\n") and not ff.new.endswith("\n\n"):
        ff.new = ff.new[:-1]
    new_doc = build(target.rel, target.kind, ff.new, config_root=policy.root_of(target.rel),
                    max_depth=policy.max_depth, max_nodes=policy.max_nodes)
    ff.new_secrets = _secret_spans(new_doc, ctx, secrets)
    return ff


def _lint_node(doc: Document, hit: Hit) -> Node | None:
    for n in doc.nodes:
        if n.key == hit.key and hit.line in (n.line, n.key_line):
            return n
    return None


def _key_text(k: Any) -> str:
    if isinstance(k, bool):
        return "true" if k else "false"
    return str(k)


def _candidates(node: Any, rest: str) -> Iterator[tuple[Any, Any]]:
    """Every (container, index) whose dotted path is ``rest`` below ``node``; a key that holds a
    dot makes the path ambiguous, so all readings are tried."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if rest.startswith("["):
        m = _INDEX.match(rest)
        if m and isinstance(node, CommentedSeq) and int(m.group(1)) < len(node):
            i, tail = int(m.group(1)), rest[m.end() :]
            if not tail:
                yield node, i
            else:
                yield from _candidates(node[i], tail[1:] if tail.startswith(".") else tail)
        return
    if not isinstance(node, CommentedMap):
        return
    for k in list(node.lc.data):  # the map's own keys: a ``<<`` merge has no place to fix
        s = _key_text(k)
        if rest == s:
            yield node, k
        elif rest.startswith(s) and rest[len(s) : len(s) + 1] in (".", "["):
            tail = rest[len(s) :]
            yield from _candidates(node[k], tail[1:] if tail.startswith(".") else tail)


def _locate(tree: Any, key: str, node: Node) -> tuple[Any, Any] | None:
    """The container and index of the node at ``key``, on the line the finding names."""
    for parent, index in _candidates(tree, key):
        pos = parent.lc.data.get(index)
        if not pos:
            continue
        if len(pos) > 2:  # a mapping entry: key line, key column, value line, value column
            if pos[2] + 1 == node.line or pos[0] + 1 == node.key_line:
                return parent, index
        elif pos[0] + 1 == node.line:
            return parent, index
    return None


def _secret_spans(doc: Document, ctx: LintContext, secrets: set[str]) -> dict[int, list[Span]]:
    """Where the secrets of a document sit (1-based line → spans), whatever rules are selected;
    their values and their quoted forms join ``secrets``. The diff masks a secret where it sits,
    so a secret that is also a word (``password: yaml``) leaves the word elsewhere alone."""
    spans: dict[int, list[Span]] = {}
    text = doc.text or ""
    lines = text.split("\n")  # YAML's line breaks, as the hits' line numbers count them
    scalars = {(n.line, n.column): n for n in doc.nodes if n.is_scalar}
    anchors: dict[str, list[tuple[int, int]]] = {}
    for n, line in enumerate(lines if "&" in text else (), 1):
        for m in _ANCHOR.finditer(line) if "&" in line else ():
            anchors.setdefault(m.group(1), []).append((n, m.start() + 1))
    for rule in RULES:
        for h in rule.check(doc, ctx):
            if not (h.secret and h.value) or h.line is None:
                continue
            v = h.value
            secrets.update({v, json.dumps(v)[1:-1], v.replace("'", "''")})
            # a value written over several lines (block or folded plain scalar) shows in pieces
            secrets.update(p for p in v.split() if len(p) >= 4)
            pos = (h.line, h.column or 1)
            alias = _ALIAS.match(lines[h.line - 1], pos[1] - 1) if h.line <= len(lines) else None
            if alias:  # a value used through ``*name`` sits at its anchor, the last one before
                pos = max((a for a in anchors.get(alias.group(1), ()) if a < pos), default=pos)
            at = spans.setdefault(pos[0], [])
            if (pos[1], v) in at:
                continue
            at.append((pos[1], v))
            node = scalars.get(pos)
            if node is not None:
                for n, col in _more_lines(text, lines, node, v):
                    spans.setdefault(n, []).append((col, ""))
    return spans


def _more_lines(text: str, lines: list[str], node: Node, value: str) -> Iterator[tuple[int, int]]:
    """The later lines of a value written over several lines, each with the column its text
    starts at: a quoted value's lines up to its closing quote (they may cut a word anywhere,
    ``"hunt\\`` / ``er2"``), a block or multi-line plain value's more indented lines."""
    first = lines[node.line - 1] if 0 < node.line <= len(lines) else ""
    if node.style in ("'", '"'):
        for n in range(node.line + 1, min(_quoted_end(text, node), len(lines)) + 1):
            yield n, len(lines[n - 1]) - len(lines[n - 1].lstrip(" \t")) + 1
        return
    if node.style not in ("|", ">") and value in first:
        return
    # the rest is indented more than the key that holds the value, or than the list item's dash
    base = node.key_column - 1 if node.key_column else len(first) - len(first.lstrip(" "))
    for n in range(node.line + 1, len(lines) + 1):
        body = lines[n - 1].lstrip(" ")
        if not body.strip():
            continue
        indent = len(lines[n - 1]) - len(body)
        if indent <= base:
            return
        yield n, indent + 1


def _quoted_end(text: str, node: Node) -> int:
    """The line on which a quoted scalar that starts at ``node`` closes (its own line if it is
    not quoted)."""
    lines = text.split("\n")  # YAML's line breaks, as the node's line number counts them
    if node.line > len(lines):
        return node.line
    start = sum(len(s) + 1 for s in lines[: node.line - 1]) + node.column - 1
    quote = text[start : start + 1]
    if quote not in ("'", '"'):
        return node.line
    i = start + 1
    while i < len(text):
        c = text[i]
        if quote == '"' and c == "\\":
            i += 2
            continue
        if c == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":  # '' is an escaped quote
                i += 2
                continue
            break
        i += 1
    return text.count("\n", 0, i) + 1


# --- layout ------------------------------------------------------------------------------------
# the indent possessive: a line of dashes is not read again from every shorter indent
_KEY_ONLY = re.compile(r"^(?P<ind>[ -]*+)(?P<key>[^\s#-][^#]*?|-[^\s#][^#]*?):[ \t]*(?:#.*)?$")


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) used most in ``text``, for ruamel's
    ``indent()``; 2/2/0 when the text does not say."""
    from collections import Counter

    maps: Counter[int] = Counter()
    offsets: Counter[tuple[int, int]] = Counter()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for cur, nxt in zip(lines, lines[1:], strict=False):
        m = _KEY_ONLY.match(cur)
        if not m:
            continue
        col = len(m.group("ind"))
        body = nxt.lstrip(" ")
        ind = len(nxt) - len(body)
        if body.startswith("- ") or body == "-":
            gap = len(body[1:]) - len(body[1:].lstrip(" "))
            if ind >= col:
                offsets[(ind - col, max(1, gap))] += 1
        elif ind > col:
            maps[ind - col] += 1
    mapping = maps.most_common(1)[0][0] if maps else 2
    offset, gap = offsets.most_common(1)[0][0] if offsets else (0, 1)
    return mapping, max(offset + 1 + gap, 2), offset


def _merge(original: str, base: str, fixed: str) -> str:
    """Graft the lines ruamel changed for the fix (``base`` → ``fixed``) into ``original``, where
    ``base`` is ruamel's rendering of the untouched file; ruamel's rendering when that fails."""
    try:
        merged = "".join(graft(original.splitlines(True), base.splitlines(True),
                               fixed.splitlines(True)))
    except (ValueError, IndexError):
        return fixed
    return merged if _same_data(merged, fixed) else fixed


def _same_data(a: str, b: str) -> bool:
    from ruamel.yaml import YAML

    try:
        y = YAML(typ="safe", pure=True)
        return bool(y.load(a) == y.load(b))
    except Exception:
        return False


def graft(original: list[str], base: list[str], fixed: list[str]) -> list[str]:
    """Apply the line changes ``base`` → ``fixed`` to ``original``, where ``base`` is a rendering
    of ``original``. A change that touches lines the rendering altered takes the rendering of
    those lines along; every other line stays as the original wrote it."""
    a = [op for op in SequenceMatcher(None, base, original, autojunk=False).get_opcodes()
         if op[1] < op[2]]  # blocks that cover base lines (lines only the original has stay put)
    if base == fixed:
        return list(original)
    if not base:  # nothing rendered to line the fix up with
        return list(fixed)
    b = SequenceMatcher(None, base, fixed, autojunk=False).get_opcodes()
    regions: list[list[int]] = []
    for tag, i1, i2, _, _ in b:
        if tag == "equal":
            continue
        lo, hi = (i1, i2) if i1 < i2 else ((i1 - 1, i1) if i1 > 0 else (0, 1))
        hi = min(hi, len(base))
        if lo >= hi:
            raise ValueError("nothing to anchor the change to")
        for tag_a, ai1, ai2, _, _ in a:  # a's non-equal blocks are rendered as one piece
            if tag_a != "equal" and ai1 < hi and lo < ai2:
                lo, hi = min(lo, ai1), max(hi, ai2)
        if regions and lo <= regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], hi)
        else:
            regions.append([lo, hi])
    out = list(original)
    for lo, hi in reversed(regions):
        new: list[str] = []
        for tag, i1, i2, j1, j2 in b:
            if tag == "equal":
                s, e = max(i1, lo), min(i2, hi)
                new.extend(fixed[j1 + s - i1 : j1 + e - i1] if s < e else [])
            elif (lo <= i1 < hi) if i1 < i2 else (lo < i1 <= hi or i1 == lo == 0):
                new.extend(fixed[j1:j2])
        o1 = _to_original(a, lo, start=True)
        o2 = _to_original(a, hi - 1, start=False)
        out[o1:o2] = new
    return out


def _to_original(a: list[tuple[str, int, int, int, int]], i: int, *, start: bool) -> int:
    for tag, i1, i2, j1, j2 in a:
        if i1 <= i < i2:
            if tag == "equal":
                return j1 + (i - i1) + (0 if start else 1)
            return j1 if start else j2
    raise ValueError(f"base line {i} is not covered")


# --- the diff ----------------------------------------------------------------------------------
def _masked(line: str, spans: Iterable[Span], clean: Callable[[str], str]) -> str:
    """A diff line with its secrets masked where they sit, then scrubbed as every output is
    (a word-like secret elsewhere on the line is a word: ``yaml: {password: yaml}``)."""
    end = "\n" if line.endswith("\n") else ""
    line = line[: len(line) - len(end)]
    for col, value in sorted(spans, reverse=True):  # right to left: columns stay true
        i = col - 1
        q = line[i : i + 1]
        inner = value.replace("'", "''") if q == "'" else value
        if value and line.startswith(value, i):
            line = line[:i] + mask(value) + line[i + len(value) :]
        elif value and q in ("'", '"') and line.startswith(q + inner + q, i):
            line = line[: i + 1] + mask(value) + line[i + 1 + len(inner) :]
        elif value and value in line[i:]:  # after an anchor or tag, inside a command line
            j = line.index(value, i)
            line = line[:j] + mask(value) + line[j + len(value) :]
        else:  # written with escapes or over several lines: mask from where the value starts
            line = line[:i] + mask(value)
    return clean(line) + end


def _diff(ff: FileFix, clean: Callable[[str], str]) -> str:
    """The file's unified diff. Headers name the file as it is (masked only where a token sits
    in its name); secrets are masked in the content lines, on both sides."""
    old, new = ff.old.splitlines(True), ff.new.splitlines(True)
    rel = clean(ff.target.rel)
    out = [f"--- a/{rel}\n", f"+++ b/{rel}\n"]
    for group in SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(3):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out.extend(" " + _eol(_masked(old[k], ff.old_secrets.get(k + 1, ()), clean))
                           for k in range(a1, a2))
                continue
            out.extend("-" + _eol(_masked(old[k], ff.old_secrets.get(k + 1, ()), clean))
                       for k in range(a1, a2))
            out.extend("+" + _eol(_masked(new[k], ff.new_secrets.get(k + 1, ()), clean))
                       for k in range(b1, b2))
    return "".join(out)


def _range(start: int, stop: int) -> str:
    length = stop - start
    return f"{start + 1}" if length == 1 else f"{start + 1 if length else start},{length}"


def _eol(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"

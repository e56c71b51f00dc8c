"""Where a Hydra config writes registry aliases and model references, and which rule owns each.

TC130 (unknown alias), TC132 (training promotes) and TC134 (invalid alias name) read the same
places; :func:`owner` gives every alias to exactly one of them. TC122 leaves the values of
``lifecycle_intent`` to them, TC131 reads model references here, TC133 the registry context.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from trackcheck.detect.uris import parse_model_uri
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Memo, Node, package_of
from trackcheck.lint.tags import literal

INTENT_KEY = "lifecycle_intent"
ALIAS_KEYS = ("alias", "aliases")
DEPLOY_GROUP = "deploy"
# key path segments that put an ``alias:`` or ``stage:`` key in registry context (with the
# mlflow group's name); a sibling naming the registered model does too
REGISTRY_SEGMENTS = frozenset({"register", "registry", "model_registry", DEPLOY_GROUP, "deployment",
                               "serving"})
MODEL_NAME_KEYS = frozenset({"model_name", "registered_model_name"})

# MLflow's own alias checks: mlflow/utils/validation.py, _validate_model_alias_name(_reserved)
MAX_ALIAS_LENGTH = 255
_ALIAS_CHARS = re.compile(r"[\w\-]*")
_VERSION_ALIAS = re.compile(r"[vV]\d+")

# a models:/ or runs:/ URI, also inside a longer string; an interpolation is one piece of it
_URI = re.compile(r"(?<![\w.+\-])(?:models|runs):/(?:\$\{[^}]*\}|[^\s'\"`,;()\[\]{}<>])+")
_SEGMENT = re.compile(r"[.\[\]]+")


@dataclass(frozen=True)
class AliasSite:
    node: Node
    alias: str
    where: str  # "model URI" | "alias key" | "registration alias" | "lifecycle intent"
    declares: bool  # a training-time declaration: the lifecycle intent or a registration alias


def uri_refs(value: str) -> Iterator[str]:
    """Every ``models:/`` and ``runs:/`` URI in a string."""
    for m in _URI.finditer(value):
        embedded = m.start() > 0 or m.end() < len(value)
        yield m.group().rstrip(".:") if embedded else m.group()  # prose: "... models:/m@prod."


def registry_context(ctx: LintContext, full_key: str) -> bool:
    """A key path under the mlflow group, a registration or a deployment (asked per mapping of
    every file: memoised per key path, which a tree's files repeat)."""
    return _registry_memo(ctx)[full_key]


def _registry_memo(ctx: LintContext) -> Memo:
    return ctx.memo("registry context", lambda key: _registry_context(ctx, key))


def _registry_context(ctx: LintContext, full_key: str) -> bool:
    segments = set(_SEGMENT.split(full_key))
    return bool(segments & (REGISTRY_SEGMENTS | {ctx.policy.mlflow.group}))


def alias_sites(doc: Document, ctx: LintContext) -> Iterator[AliasSite]:
    """Every literal alias of a Hydra config: in ``models:/name@alias`` anywhere in a string,
    ``alias:``/``aliases:`` keys in registry context, and ``lifecycle_intent`` values. Found
    once per document and policy (TC130, TC132 and TC134 all read them)."""
    cached = doc._alias_sites
    if cached is None or cached[0] is not ctx.policy or cached[1] != len(doc.nodes):
        cached = (ctx.policy, len(doc.nodes), tuple(_find_sites(doc, ctx)))
        doc._alias_sites = cached
    return iter(cached[2])  # type: ignore[arg-type]


def _find_sites(doc: Document, ctx: LintContext) -> Iterator[AliasSite]:
    if not doc.hydra:
        return
    names = doc.names()
    keys = not names.isdisjoint(ALIAS_KEYS)  # an alias key: in a mapping, under its name
    # a URI needs ``:/`` in the text (or an escape that writes it); an intent needs its name
    scalars = doc.may_hold(":/") or INTENT_KEY in names
    if not scalars and not keys:
        return  # most files: nothing to read
    named = keys and not names.isdisjoint(MODEL_NAME_KEYS)  # a mapping may name its model
    in_registry = _registry_memo(ctx)
    for node in doc.nodes if scalars else doc.mappings():  # document order either way
        kind = node.kind
        if kind == "scalar":
            if node.tag == "str" and ":/" in node.value:  # a models:/ or runs:/ URI
                for uri in uri_refs(node.value):
                    parsed = parse_model_uri(uri)
                    alias = parsed["alias"] if parsed else None
                    if alias is not None and "${" not in alias:
                        yield AliasSite(node, alias, "model URI", False)
            if node.name == INTENT_KEY and literal(doc, ctx, node):
                yield AliasSite(node, node.value, "lifecycle intent", True)
        elif kind == "mapping" and keys and (in_registry[node.full_key] or (
                named and any(c.name in MODEL_NAME_KEYS for c in node.children))):
            register = _SEGMENT.split(node.full_key)[-1] == "register"
            for child in node.children:
                if child.name not in ALIAS_KEYS:
                    continue
                for item in child.children if child.kind == "list" else [child]:
                    if literal(doc, ctx, item):
                        where = "registration alias" if register else "alias key"
                        yield AliasSite(item, item.value, where, register)


def invalid_alias(alias: str) -> str | None:
    """Why MLflow would refuse this alias name, or None. Stricter than MLflow in one corner:
    its ``$`` lets a trailing newline through, which no alias lookup would ever match."""
    if alias == "":
        return "an alias cannot be empty"
    if not _ALIAS_CHARS.fullmatch(alias):
        return "only letters, digits, '_' and '-' are allowed"
    if len(alias) > MAX_ALIAS_LENGTH:
        return f"longer than {MAX_ALIAS_LENGTH} characters"
    if alias.lower() == "latest":
        return "'latest' is reserved (in any case)"
    if _VERSION_ALIAS.fullmatch(alias):
        return "'v<digits>' is reserved for version numbers"
    return None


def deploy_scope(doc: Document, ctx: LintContext, node: Node) -> bool:
    """A node of deployment config: a file of the ``deploy`` group or a key under ``deploy.``."""
    group = package_of(doc.path, "", ctx.policy.root_of(doc.path))
    return DEPLOY_GROUP in (group.split(".")[0], _SEGMENT.split(node.full_key)[0])


def training_scope(doc: Document, ctx: LintContext, node: Node) -> bool:
    """A node of training config: a file under ``training_paths`` and not deployment config."""
    return ctx.is_training_file(doc.path) and not deploy_scope(doc, ctx, node)


def owner(doc: Document, ctx: LintContext, site: AliasSite) -> str | None:
    """The one rule that reports this alias: TC134 (MLflow rejects it), else TC130 (outside the
    policy), else TC132 (a training config declares what only promotion may set), else none."""
    if invalid_alias(site.alias) is not None:
        return "TC134"
    if not ctx.policy.alias_allowed(site.alias):
        return "TC130"
    if site.declares and training_scope(doc, ctx, site.node):
        may = ctx.policy.aliases.training_may_declare
        if ctx.policy.aliases.case_sensitive:
            declared_ok = site.alias in may
        else:
            declared_ok = site.alias.lower() in {a.lower() for a in may}
        if not declared_ok:
            return "TC132"
    return None

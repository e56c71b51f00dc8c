"""Run-tag blocks of a Hydra config (found by ``LintContext.tag_blocks``): their literal values,
and which blocks must be complete.

Shared by TC120 (unknown key), TC121 (missing keys) and TC122 (bad value).
"""

from __future__ import annotations

from collections.abc import Sequence

from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Node, package_of

# booleans as PyYAML and OmegaConf read them (YAML 1.1: yes/no/on/off too)
_TRUE = ("true", "yes", "on")


def mlflow_tag(name: str) -> bool:
    """MLflow's own tags (``mlflow.note.content``, ``mlflow.runName``) are always allowed."""
    return name.startswith("mlflow.")


def literal(doc: Document, ctx: LintContext, node: Node) -> bool:
    """A scalar written as it is meant: not a placeholder and without interpolations, which
    resolve at run time (broken ones are TC002's)."""
    if node.kind != "scalar" or ctx.placeholder(doc, node):
        return False
    i = doc.interpolation(node)
    return i.error is None and not i.is_interpolation


def typed(node: Node) -> object:
    """The value as the config loader types it: YAML booleans become ``bool``, the rest text."""
    if node.tag == "bool":
        return node.value.lower() in _TRUE
    return node.value


def base_option_block(doc: Document, ctx: LintContext, block: Node) -> bool:
    """A tags block of a base option of the mlflow group: a file of the group
    (``<config root>/mlflow/*.yaml``) or a root config's ``mlflow:`` block, in a file that
    extends no other option through its defaults list (Hydra merges those partial blocks)."""
    if any(entry.strip() != "_self_" for entry in doc.defaults):
        return False
    # from the path, not ``@package``
    group = package_of(doc.path, "", ctx.policy.root_of(doc.path))
    mlflow_group = ctx.policy.mlflow.group
    return group == mlflow_group or (group == "" and block.full_key.startswith(mlflow_group + "."))


def did_you_mean(word: str, choices: Sequence[str], kind: str) -> str:
    """`` (did you mean 'prod'? ...)`` for a near miss of a known name, else empty: MLflow compares
    tag keys and aliases case-sensitively, so a case-only difference is named as such."""
    import difflib  # only when a suggestion is made
    same = [c for c in choices if c.lower() == word.lower()]
    if same:
        return f" (did you mean '{same[0]}'? {kind} are case-sensitive in MLflow)"
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def shown(text: str, limit: int = 60) -> str:
    """A name or value quoted for a message: control characters escaped, cut to a readable size."""
    cut = text if len(text) <= limit else text[:limit]
    safe = "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)
    return f"'{safe}'" if cut == text else f"'{safe}...' ({len(text)} characters)"

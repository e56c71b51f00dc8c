"""When Hydra cannot compose: the finding (TC006, or TC001 for one file's own defaults list)."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from trackcheck.lint.compose.plan import Entry, describe, override_key
from trackcheck.lint.compose.session import Session, defaults_entries
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Node
from trackcheck.rule import Hit

if TYPE_CHECKING:
    from trackcheck.lint.compose.compositions import Outcome

# an option of one of Hydra's own groups that is not there: a plugin not installed
_PLUGIN = re.compile(r"Could not (?:find|load) '(hydra/[^'/]+)/([^']+)'")
# pip packages of the Hydra plugins that provide options of Hydra's own groups
_PLUGIN_PACKAGES = {
    "colorlog": "hydra-colorlog", "joblib": "hydra-joblib-launcher",
    "submitit_local": "hydra-submitit-launcher", "submitit_slurm": "hydra-submitit-launcher",
    "ray": "hydra-ray-launcher", "ray_aws": "hydra-ray-launcher", "rq": "hydra-rq-launcher",
    "optuna": "hydra-optuna-sweeper", "ax": "hydra-ax-sweeper",
    "nevergrad": "hydra-nevergrad-sweeper",
}


def failure(session: Session, entry: Entry, overrides: tuple[str, ...], e: Exception,
             ctx: LintContext, out: Outcome) -> list[tuple[str, Hit]]:
    """The finding for a composition Hydra could not complete."""
    if session.refused is not None:  # its per-file verdict (TC001-TC004) says why
        doc, reason = session.refused
        out.refused[doc.path] = doc
        out.skipped.append(f"{describe(entry, overrides, ctx.policy)}: {doc.path} is not "
                           f"composed ({reason})")
        return []
    if session.blocked is not None:
        doc, node, why = session.blocked
        text = (f"Hydra composition refused: '{node.key}' {why}; trackcheck composes offline, "
                "from the config tree only")
        return [("TC004", ctx.hit(doc, node, text))]
    if session.env_read is not None:
        found, node = _env_entry(session)
        doc = found or session.doc(primary_file(entry))
        text = ("Hydra cannot compose without reading the environment, which trackcheck never "
                "reads: the defaults list reads ${oc.env:...}; give the choice as an override "
                "of the policy's entrypoints")
        hit = ctx.hit(doc, node, text, value=None) if node else _line_hit(doc, text)
        return [("TC006", hit)]
    if session.outside is not None:  # the defaults entry that selects it, if one does
        doc, node, _, _ = session.where(f"Could not find '{session.outside}'", overrides,
                                        entry.config)
        doc = doc or session.doc(primary_file(entry))
        text = (f"Hydra cannot compose: '{session.outside}' is a link to a file outside the "
                "repository, which trackcheck never reads")
        return [("TC006", _entry_hit(ctx, doc, node, text, text))]
    message = str(e)
    doc, node, reason, own = session.where(message, overrides, entry.config)
    if doc is None:
        doc = session.doc(primary_file(entry))
    text = f"Hydra cannot compose: {reason or type(e).__name__}"
    if session.dropped and not own:
        text += " (hydra.searchpath entries not read)"
    if len(text) > 240:
        text = text[:237] + "..."
    return [("TC001" if own else "TC006", _entry_hit(ctx, doc, node, text, text))]


def plugin_swap(session: Session, message: str, entry: Entry, overrides: tuple[str, ...]
                 ) -> tuple[tuple[Document, Node | None, str, str], tuple[str, ...]] | None:
    """For an option of a Hydra group that is not there (a plugin not installed): where it is
    selected, what is missing, the override that puts Hydra's built-in option in its place, and
    the overrides to compose with it."""
    m = _PLUGIN.search(message)
    if m is None or any(x is not None for x in (session.refused, session.blocked,
                                                 session.env_read, session.outside)):
        return None
    group, option = m.groups()
    try:
        options = session.loader.get_group_options(group)
    except Exception:  # a group Hydra cannot list: nothing to put in its place
        return None
    built_in = next((o for o in ("default", "basic") if o in options), None)
    if built_in is None or f"{group}={built_in}" in overrides:  # swapped already: no loop
        return None
    doc, node, reason, _ = session.where(message, overrides, entry.config)
    doc = doc or session.doc(primary_file(entry))
    package = _PLUGIN_PACKAGES.get(option)
    culprit = re.match(r"override '[^']*': ", reason)
    what = (f"{culprit.group(0) if culprit else ''}Hydra plugin not installed: "
            f"'{group}/{option}' comes with {package} (pip install {package})" if package else
            f"Hydra cannot compose: {reason}: a Hydra plugin that is not installed, or a "
            "misspelt option")
    swap = f"{group}={built_in}"
    kept = tuple(o for o in overrides if override_key(o) != group)
    return (doc, node, what, swap), (*kept, swap)


def plugin_hits(plugins: list[tuple[Document, Node | None, str, str]], ctx: LintContext,
                 composed: bool) -> list[tuple[str, Hit]]:
    """One hit per missing plugin, in the order Hydra met them. When the composition failed
    even so, the last one is to blame: Hydra's built-in option did not take its settings."""
    hits = []
    for i, (doc, node, what, swap) in enumerate(plugins):
        last_straw = not composed and i == len(plugins) - 1
        text = what + ("; nothing could be composed without it" if last_straw
                       else f"; trackcheck composes '{swap}' in its place")
        hits.append(("TC006", _entry_hit(ctx, doc, node, text, what)))
    return hits


def _entry_hit(ctx: LintContext, doc: Document, node: Node | None, text: str, value: str) -> Hit:
    """A hit at a defaults entry (or the defaults list when no entry is to blame), else at the
    top of the file."""
    return ctx.hit(doc, node, text, value=value) if node else _line_hit(doc, text)


def dropped_hits(session: Session, ctx: LintContext) -> list[tuple[str, Hit]]:
    return [("TC006", ctx.hit(doc, node, f"search path '{node.key}' is {why}: not read, "
                              "trackcheck composes from the repository only; what only it "
                              "provides is missing from the composition"))
            for doc, node, why in session.dropped]


def primary_file(entry: Entry) -> str:
    return os.path.realpath(os.path.join(entry.config_dir, entry.config + ".yaml"))


def _env_entry(session: Session) -> tuple[Document | None, Node | None]:
    for full in session.paths.values():
        doc = session.docs[full]
        for node, _group, option in defaults_entries(doc):
            if "oc.env" in option:
                return doc, node
    return None, None


def _line_hit(doc: Document, message: str) -> Hit:
    return Hit(message=message, path=doc.path, key="", line=1, column=1, value=message)

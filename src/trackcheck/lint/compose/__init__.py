"""Compose Hydra configs as the training entrypoint will, never resolving, and check the result.

The only package that imports Hydra, and only when ``lint --compose`` asks for it. Hydra's own
compose API builds the config; nothing is resolved, the environment is never read (``oc.env`` is
switched off while Hydra runs), and Hydra is never handed a file the per-file loader refused
(TC001-TC004). Nothing outside the repository is read (``hydra.searchpath`` entries that reach
out are dropped) and no repository code is imported (the repository is off ``sys.path`` while
Hydra looks for plugins; ``_target_``s are never instantiated). A composition Hydra cannot
complete is TC006 (a plugin not installed, options that do not combine), or TC001 when one file's
defaults list is broken on its own.

- ``plan``: which compositions ``--compose CONFIG [-o OVERRIDE ...]`` asks for (``Entry``).
- ``session``: Hydra set up on one config dir, every file it reads guarded and parsed once per
  run (Hydra is handed a copy each time), merges recorded.
- ``reuse``, ``results``: Hydra's work that repeats across the compositions of a run done once
  (merged prefixes of the merge order, configs placed in their package, repository loads), so
  that each composition is the config ``hydra.compose`` gives at a fraction of its cost.
- ``blame``: which file supplied a composed value. Hydra does not say: its merge order gives the
  files and their packages, the last file in that order that writes a key is the one whose value
  stands (OmegaConf's merge: later wins, a ``???`` never replaces a value), and the per-file
  located document gives its line.
- ``checks``: run tags, names, tracking-URI chains and cycles on the composed config.
- ``failures``: the finding for a composition Hydra cannot complete.
- ``compositions``: ``run``, every composition of every entry, each finding reported once.
"""

from __future__ import annotations

# record the merge order from Hydra's merge loop; False: ask Hydra's public
# ``compute_defaults_list`` for the same list (a second pass over the defaults tree). Read when a
# session starts, so that setting it here takes effect.
RECORD_MERGES = True
# parse each config file Hydra loads once per run and hand Hydra a deep copy each time; False:
# Hydra reads and parses the file again in every composition (as Hydra alone does). Read when a
# session starts.
CACHE_LOADS = True
# start each composition from a copy of the merged state of the longest merge-order prefix an
# earlier composition of the session shared (with the load cache on), and build Hydra's defaults
# interpolation map only where an entry reads it; False: Hydra's own code does both every time.
# Read when a session starts.
REUSE_WORK = True

from trackcheck.lint.compose.compositions import REPLACED, UNSAFE, Outcome, run  # noqa: E402
from trackcheck.lint.compose.plan import (  # noqa: E402
    INSTALL_HINT,
    ComposeError,
    Entry,
    describe,
    plan,
)

__all__ = ["CACHE_LOADS", "ComposeError", "Entry", "INSTALL_HINT", "Outcome", "RECORD_MERGES",
           "REPLACED", "REUSE_WORK", "UNSAFE", "describe", "plan", "run"]

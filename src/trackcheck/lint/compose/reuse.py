"""Hydra's work that repeats across a run's compositions, done once: merged prefixes of the merge
order, and the defaults interpolation map that no entry reads.

Both are installed by ``Session`` for as long as it runs and give the config Hydra's own code
gives (``tests/lint/test_compose_fidelity.py`` compares them with a plain ``hydra.compose``).
"""

from __future__ import annotations

import math
import pickle
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# checkpoints one composition takes along its merge order (evenly spaced, the last step always),
# and at most this many in all per session: memory stays a bounded multiple of a composed config
CHECKPOINTS = 32
MAX_SNAPSHOTS = 128
_PLAIN = (str, int, float, bool, type(None))


def lazy_interpolation_map(original: Callable[..., Any]) -> Callable[..., Any]:
    """Hydra's ``_create_interpolation_map``, built only when an entry of the defaults list can
    read it. Hydra builds it (an OmegaConf config of every choice so far) for every config in the
    defaults tree and reads it only to resolve an entry like ``db: ${db_type}``; built from plain
    values it cannot fail, so skipping it changes nothing else."""

    def create(overrides: Any, defaults_list: list[Any], self_added: bool) -> Any:
        if _plain_choices(overrides.known_choices) and not any(
                _may_interpolate(d) for d in defaults_list):
            return None
        return original(overrides, defaults_list, self_added)

    return create


@contextmanager
def shared_in_copies(cls: type) -> Iterator[None]:
    """Instances of ``cls`` are themselves in a ``copy.deepcopy`` of what holds them, for as long
    as this runs (a singleton that copies only read)."""
    had = cls.__dict__.get("__deepcopy__")
    cls.__deepcopy__ = _itself  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if had is None:
            del cls.__deepcopy__  # type: ignore[attr-defined]
        else:
            cls.__deepcopy__ = had  # type: ignore[attr-defined]


def _itself(self: Any, memo: dict[int, Any]) -> Any:
    return self


def _plain(value: Any) -> bool:
    if isinstance(value, str):
        return "${" not in value
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, _PLAIN)


def _plain_choices(choices: dict[Any, Any]) -> bool:
    return all(isinstance(k, str) and _plain(k) and _plain(v) for k, v in choices.items())


def _may_interpolate(default: Any) -> bool:
    """An entry Hydra resolves against the map, or whose value the map would hold unparsed
    (conservative: any ``${`` at all)."""
    for attr in ("path", "value", "group", "package"):
        if not _plain(getattr(default, attr, None)):
            return True
    return False


class Merges:
    """Hydra's ``_compose_config_from_defaults_list`` that starts from the merged state of the
    longest prefix of the merge order an earlier composition of the session went through (a
    pickled copy), instead of merging those files again.

    A step of the merge order is (config path, package, primary, the source that supplied it):
    with each file parsed once per run (the load cache), the same steps from the same state give
    the same state. The first composition of each primary config leaves checkpoints along its
    merge order; a sweep that changes one group starts from the checkpoint before it."""

    def __init__(self) -> None:
        self.trie: dict[tuple[int, tuple[Any, ...]], int] = {}  # (node, step) -> child node
        self.snapshots: dict[int, bytes] = {}  # node -> pickled state after its steps
        self.taken: set[tuple[str, int]] = set()  # (primary, depth) that has a checkpoint
        self.restored = self.merged = 0  # steps taken from a snapshot / merged, for benchmarks
        self.singles: dict[tuple[Any, ...], bytes | None] = {}  # step -> its config, placed

    def compose(self, defaults: list[Any], repo: Any, single: Callable[..., Any],
                skipped: Callable[[Any], None], clean: Callable[[], bool],
                primary: str, keep: bool = True) -> Any:
        """Hydra's merge loop (``ConfigLoaderImpl._compose_config_from_defaults_list`` of
        hydra-core 1.3). ``single`` is the loader's ``_load_single_config``; ``skipped`` is told
        each step a snapshot stood in for; ``clean`` says whether nothing happened so far that a
        snapshot would not replay (an environment read); ``keep`` False: no snapshot or placed
        config is kept (no other composition follows)."""
        from hydra.errors import ConfigCompositionException
        from omegaconf import OmegaConf, flag_override
        from omegaconf.errors import OmegaConfBaseException

        node, start, cfg = 0, 0, None
        path: list[int] = []  # trie node after each step, as far as it is known
        # a config merged twice in one composition: Hydra merges the same loaded object both
        # times, and what the first merge moved into the composed config and later merges
        # changed comes back with it; no copy can stand in for that, so Hydra's loop runs as is
        paths = [d.config_path for d in defaults]
        shared = len(set(paths)) == len(paths)
        for i, default in enumerate(defaults if shared else ()):
            try:
                step = _step(default, repo)
            except Exception:  # a load that fails: Hydra's loop meets it in its own order
                break
            nxt = self.trie.get((node, step)) if step is not None else None
            if nxt is None:
                break
            node = nxt
            path.append(node)
            if node in self.snapshots:
                start = i + 1
        if start:
            cfg = pickle.loads(self.snapshots[path[start - 1]])
            for default in defaults[:start]:
                skipped(default)
            self.restored += start
        else:
            cfg = OmegaConf.create()
        node = path[start - 1] if start else 0
        stride = max(1, math.ceil(len(defaults) / CHECKPOINTS))
        with flag_override(cfg, "no_deepcopy_set_nodes", True):
            for i in range(start, len(defaults)):
                default = defaults[i]
                step = _step(default, repo)
                config = (self._loaded(default, step, repo, single, skipped, keep) if shared
                          else single(default=default, repo=repo).config)
                try:
                    cfg.merge_with(config)
                except OmegaConfBaseException as e:  # Hydra's message, raised as Hydra does
                    raise ConfigCompositionException(  # noqa: B904
                        f"In '{default.config_path}': {type(e).__name__} raised while"
                        f" composing config:\n{e}"
                    ).with_traceback(sys.exc_info()[2])
                self.merged += 1
                node = self._child(node, step)
                depth = i + 1
                checkpoint = depth % stride == 0 or depth == len(defaults)
                if keep and shared and checkpoint and node > 0 \
                        and (primary, depth) not in self.taken and clean():
                    self._snapshot(node, cfg, primary, depth)
        _strip_defaults(cfg)
        return cfg

    def _loaded(self, default: Any, step: tuple[Any, ...] | None, repo: Any,
                single: Callable[..., Any], skipped: Callable[[Any], None], keep: bool) -> Any:
        """The config ``single`` (Hydra's ``_load_single_config``) gives for a step: a copy of
        the one it gave the first time, placed in its package already. Not for the primary
        config (the search path guard gives it its own copy) nor for a config a ConfigStore
        schema of the same name is merged into (Hydra changes the loaded result then)."""
        if step is None or default.primary:
            return single(default=default, repo=repo).config
        if step in self.singles:
            blob = self.singles[step]
            if blob is not None:
                skipped(default)
                return pickle.loads(blob)
            return single(default=default, repo=repo).config
        config = single(default=default, repo=repo).config
        if not keep:
            return config
        try:  # before the merge, which moves the config's nodes into the composed one
            self.singles[step] = None if _has_schema(default, repo) else pickle.dumps(
                config, pickle.HIGHEST_PROTOCOL)
        except Exception:  # pickle raises many types: such a config is loaded each time
            self.singles[step] = None
        return config

    def _child(self, node: int, step: tuple[Any, ...] | None) -> int:
        """The trie node after ``step`` from ``node``; -1 once a step cannot be told apart."""
        if node < 0 or step is None:
            return -1
        key = (node, step)
        if key not in self.trie:
            self.trie[key] = len(self.trie) + 1
        return self.trie[key]

    def _snapshot(self, node: int, cfg: Any, primary: str, depth: int) -> None:
        if len(self.snapshots) >= MAX_SNAPSHOTS:
            return
        self.taken.add((primary, depth))
        # the state as Hydra's loop has it between two merges, the loop's own flag taken off
        cfg._set_flag("no_deepcopy_set_nodes", None)
        try:
            self.snapshots[node] = pickle.dumps(cfg, pickle.HIGHEST_PROTOCOL)
        except Exception:  # pickle raises many types: such a state is merged each time
            pass
        finally:
            cfg._set_flag("no_deepcopy_set_nodes", True)


def _step(default: Any, repo: Any) -> tuple[Any, ...] | None:
    """What decides one merge: the config (by the source that supplies it in this composition),
    where it goes, and whether it is the primary config."""
    if default.config_path is None:
        return None
    loaded = repo.load_config(config_path=default.config_path)  # Hydra's per-composition cache
    if loaded is None:
        return None
    return (default.config_path, default.package, bool(default.primary), loaded.path,
            loaded.provider)


def _has_schema(default: Any, repo: Any) -> bool:
    """Whether Hydra merges a ConfigStore schema of the same name into the config (deprecated
    since Hydra 1.1, still done)."""
    from hydra.plugins.config_source import ConfigSource

    loaded = repo.load_config(config_path=default.config_path)
    if loaded is None or loaded.is_schema_source:
        return False
    name = ConfigSource._normalize_file_name(filename=default.config_path)
    return bool(repo.get_schema_source().is_config(name))


def _strip_defaults(cfg: Any) -> None:
    """Hydra's last pass over a composed config: defaults lists kept in structured configs out."""
    from omegaconf import DictConfig, flag_override

    def strip(node: Any) -> None:
        if not isinstance(node, DictConfig) or node._is_missing() or node._is_none():
            return
        # Hydra opens every node (flags set and set back: only their cache notices); the flag
        # it asks about is not one it opens
        if node._get_flag("HYDRA_REMOVE_TOP_LEVEL_DEFAULTS"):
            with flag_override(node, ["readonly", "struct"], False):
                node._set_flag("HYDRA_REMOVE_TOP_LEVEL_DEFAULTS", None)
                node.pop("defaults", None)
        for _key, value in node.items_ex(resolve=False):
            strip(value)

    strip(cfg)

"""Hydra's repository loads kept once per run: a config with its defaults list taken out, handed
to each composition as a copy that is unpickled only when Hydra reads the config."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

from hydra.core.object_type import ObjectType
from hydra.plugins.config_source import ConfigResult

_UNREAD = object()


class Kept:
    """One ``ConfigRepository.load_config`` result, pickled as it came back (its config after
    Hydra took the defaults list out, the list as Hydra parsed it): the bytes are this
    process's own."""

    def __init__(self, result: ConfigResult):
        self.config = pickle.dumps(result.config, pickle.HIGHEST_PROTOCOL)
        self.defaults = pickle.dumps(result.defaults_list, pickle.HIGHEST_PROTOCOL)
        self.path, self.provider = result.path, result.provider
        self.header, self.is_schema_source = dict(result.header), result.is_schema_source

    def copy(self) -> ConfigResult:
        return LazyResult(self)


class LazyResult(ConfigResult):
    """A ``ConfigResult`` of its own whose config is unpickled the first time it is read: most
    configs are merged from a snapshot (``reuse.Merges``) and never read in a composition but
    for their package header and defaults list."""

    def __init__(self, kept: Kept):  # the fields, set directly: ``config`` waits
        self._kept, self._config = kept, _UNREAD
        self.path, self.provider = kept.path, kept.provider
        self.header, self.is_schema_source = dict(kept.header), kept.is_schema_source
        self.defaults_list = pickle.loads(kept.defaults)

    @property  # type: ignore[override]
    def config(self) -> Any:
        if self._config is _UNREAD:
            self._config = pickle.loads(self._kept.config)
        return self._config

    @config.setter
    def config(self, value: Any) -> None:
        self._config = value

    def __copy__(self) -> ConfigResult:
        """A shallow copy, as of Hydra's own result: the same config object."""
        return ConfigResult(provider=self.provider, path=self.path, config=self.config,
                            header=self.header, defaults_list=self.defaults_list,
                            is_schema_source=self.is_schema_source)


def keep(result: ConfigResult | None) -> Kept | None:
    """``result`` kept, or None when it cannot be (a structured config of a local class): such
    a config is loaded by Hydra each time."""
    if result is None:
        return None
    try:
        return Kept(result)
    except Exception:  # pickle raises many types
        return None


class KeptLoads:
    """Hydra's ``ConfigRepository.load_config`` (the source's load, then the defaults list taken
    out of the config and parsed) done once per session for each config of each source: each
    composition gets a ``LazyResult`` of its own, its file admitted again by the guard."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str, str, str], Kept | None] = {}
        # which of a composition's sources has a config: the same for the same sources
        self.where: dict[tuple[object, str], int | None] = {}

    def load(self, repo: Any, config_path: str, load: Callable[[Any, str], Any],
             admit: Callable[[Any, str], object], keep_it: bool = True) -> Any:
        """``load`` (Hydra's) the first time, a copy of what it gave after; ``admit`` is the
        guard of a file source's read (it raises when the file must not be read); ``keep_it``
        False: nothing new is kept (no other composition follows)."""
        sources = (tuple((s.scheme(), s.provider, s.path) for s in repo.sources), config_path)
        if sources not in self.where:
            found = repo._find_object_source(config_path=config_path,
                                             object_type=ObjectType.CONFIG)
            self.where[sources] = None if found is None else repo.sources.index(found)
        at = self.where[sources]
        if at is None:
            return load(repo, config_path)
        source = repo.sources[at]
        key = (source.scheme(), str(source.provider), str(source.path), config_path)
        if key not in self.kept:
            result = load(repo, config_path)  # a load that fails is not kept: it fails again
            if keep_it:
                self.kept[key] = keep(result)
            return result
        hit = self.kept[key]
        if hit is None:
            return load(repo, config_path)
        if source.scheme() == "file":
            admit(source, config_path)
        return hit.copy()

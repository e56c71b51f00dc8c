"""Hydra's repository loads kept once per run: a config with its defaults list taken out, handed
to each composition as a copy that is unpickled only when Hydra reads the config."""

from __future__ import annotations

import pickle
from typing import Any

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

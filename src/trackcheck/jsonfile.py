"""Reading a JSON file trackcheck wrote and someone may have tampered with (baselines,
snapshots): bounded in size and nesting, never blocking on a FIFO, every failure one line."""

from __future__ import annotations

import json
from pathlib import Path


class JsonFileError(Exception):
    """One line naming the file and what is wrong with it; never its contents."""


def read(path: Path, *, kind: str, max_bytes: int, create_hint: str) -> object:
    """The decoded document of a trackcheck ``kind`` file (``baseline``, ``snapshot``), read
    without ever holding more than ``max_bytes`` + 1 bytes of it."""
    try:
        if path.exists() and not path.is_file():  # a FIFO or a device: the read would not end
            raise JsonFileError(f"{path}: cannot read {kind} (not a regular file)")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise JsonFileError(f"{path}: {kind} file not found ({create_hint})") from None
    except OSError as e:
        raise JsonFileError(f"{path}: cannot read {kind} ({e.strerror or type(e).__name__})"
                            ) from None
    if len(data) > max_bytes:
        raise JsonFileError(f"{path}: not a trackcheck {kind} (larger than "
                            f"{max_bytes // 1_000_000} MB)")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise JsonFileError(f"{path}: not a trackcheck {kind} (not UTF-8)") from None
    except json.JSONDecodeError as e:
        raise JsonFileError(
            f"{path}:{e.lineno}: not a trackcheck {kind} (invalid JSON: {e.msg})") from None
    except ValueError:  # e.g. an integer of thousands of digits (Python refuses to convert it)
        raise JsonFileError(f"{path}: not a trackcheck {kind} (a number too long)") from None
    except RecursionError:
        raise JsonFileError(f"{path}: not a trackcheck {kind} (nested too deeply)") from None


def check_header(doc: object, *, where: str, kind: str, fmt: str, version: int,
                 write_hint: str) -> dict[str, object]:
    """The document as a mapping, once its ``format`` and ``version`` are this trackcheck's."""
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise JsonFileError(f"{where}: not a trackcheck {kind} (no \"format\": \"{fmt}\"); "
                            f"write one with {write_hint}")
    found = doc.get("version")
    if type(found) is not int or found != version:
        shown = repr(found) if len(repr(found)) < 20 else "?"
        raise JsonFileError(f"{where}: unsupported {kind} version {shown} (this trackcheck "
                            f"reads version {version})")
    return doc

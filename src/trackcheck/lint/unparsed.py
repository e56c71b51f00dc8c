"""Files that are not parsed, read for secrets all the same: a broken (TC001), oversized, binary,
not UTF-8 or unsafe (TC004) file is read line by line for known tokens and credential URIs
(TC110, TC103), whole and in bounded memory (SPEC, "Memory": never by prefix).

A file not read whole is read in chunks; a line longer than a window is read in windows that
overlap by more than any token or credential URI the rules look for is long, so none is cut in
two; the lines come to the rules as small documents of their own, one part after another, so
that nothing of the file is kept but what the rules report. The content's digest is taken on
the way: TC001 and TC004 findings carry it in their fingerprints (SPEC, "Baselines").
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from trackcheck.detect.tokens import TOKEN_HINT
from trackcheck.lint.document import Document, Node

WINDOW, OVERLAP = 4096, 512  # a line this long is read in windows overlapping by this much
_CHUNK = 1 << 20  # bytes read at a time from a file
_PART = 2048  # windows handed to the rules at a time (at most a chunk's worth of text)


class Unparsed:
    """The text of a file that is not parsed, as parts to read for secrets. ``digest`` (SHA-256
    of the content) is known from the start for a text in memory, and once every part was read
    for a file read from disk (None if it could not be read)."""

    def __init__(self, rel: str, *, text: str | None = None, path: Path | None = None,
                 every_line: bool = False):
        import hashlib  # only for a file that is not parsed

        self.rel, self.text, self.path, self.every_line = rel, text, path, every_line
        self.digest: str | None = None
        if text is not None:
            self.digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def parts(self) -> Iterator[Document]:
        """The lines that may hold a token or a credential URI, as located values without a key,
        a few thousand at a time."""
        nodes: list[Node] = []
        held = 0
        wanted = None if self.every_line else _candidate
        for line, column, part in windows(self._chunks(), wanted):
            if wanted is None or wanted(part):
                nodes.append(Node("scalar", "", "", "", line, column, value=part))
                held += len(part)
                if len(nodes) >= _PART or held >= _CHUNK:
                    yield Document(self.rel, "yaml", broken=True, nodes=nodes)
                    nodes, held = [], 0
        if nodes:
            yield Document(self.rel, "yaml", broken=True, nodes=nodes)

    def _chunks(self) -> Iterator[str]:
        import hashlib  # only for a file that is not parsed

        if self.text is not None:
            yield self.text
            return
        assert self.path is not None
        digest = hashlib.sha256()
        decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
        fd = open_regular(self.path)
        if fd is None:
            return
        with open(fd, "rb") as fh:
            try:
                while data := fh.read(_CHUNK):
                    digest.update(data)
                    yield decode(data)
            except OSError:  # unreadable half-way: what was read is read, there is no digest
                return
            yield decode(b"", final=True)
        self.digest = digest.hexdigest()


def open_regular(path: Path) -> int | None:
    """A descriptor for reading ``path`` if it is a regular file, else None. Opened without
    blocking and checked once open: a FIFO swapped in after a look is never waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _candidate(text: str) -> bool:
    # a credential URI, or a known token (the built-in formats; with a team's own patterns,
    # every line is read)
    return "@" in text or TOKEN_HINT.search(text) is not None


def windows(chunks: Iterable[str],
            wanted: Callable[[str], bool] | None = None) -> Iterator[tuple[int, int, str]]:
    """Every line of a text given in chunks as (line, column, text), both 1-based: a line up to
    ``WINDOW`` characters whole, a longer one in windows of ``WINDOW`` starting every
    ``WINDOW - OVERLAP`` characters. A long line is never held whole, only what its next windows
    need. With ``wanted``, the lines that lie whole in a chunk ``wanted`` refuses are skipped
    unread (most of a large file: its chunk is searched once, in C)."""
    step = WINDOW - OVERLAP
    line, offset, carry = 1, 0, ""  # carry: the current line from column ``offset`` (0-based)
    for chunk in chunks:
        start = 0
        if wanted is not None and not wanted(chunk) and (first := chunk.find("\n")) >= 0:
            carry += chunk[:first]  # the line carried in ends here; those after it hold nothing
            yield from _last_windows(line, offset, carry)
            last = chunk.rfind("\n")
            line, offset, carry = line + 1 + chunk.count("\n", first + 1, last + 1), 0, ""
            start = last + 1
        while True:
            end = chunk.find("\n", start)
            if end < 0:
                carry += chunk[start:]
                if len(carry) >= WINDOW + step:  # a long line: its whole windows, and on
                    k = 0
                    while k + WINDOW <= len(carry):
                        yield line, offset + k + 1, carry[k:k + WINDOW]
                        k += step
                    carry, offset = carry[k:], offset + k
                break
            carry += chunk[start:end]
            yield from _last_windows(line, offset, carry)
            line, offset, carry = line + 1, 0, ""
            start = end + 1
    if carry:
        yield from _last_windows(line, offset, carry)


def _last_windows(line: int, offset: int, rest: str) -> Iterator[tuple[int, int, str]]:
    if not rest:
        return  # an empty line holds nothing
    step = WINDOW - OVERLAP
    stop = max(1, len(rest) - OVERLAP) if offset == 0 else len(rest) - OVERLAP
    for k in range(0, stop, step):
        yield line, offset + k + 1, rest[k:k + WINDOW]

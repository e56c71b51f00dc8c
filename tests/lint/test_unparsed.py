"""Files that are not parsed, read for secrets anyway: whole, line by line, in bounded memory."""

from __future__ import annotations

import os
import stat
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackcheck.lint import document
from trackcheck.lint.discover import Target
from trackcheck.lint.document import read_text
from trackcheck.lint.runner import lint
from trackcheck.lint.unparsed import OVERLAP, WINDOW, Unparsed, windows
from trackcheck.policy import Policy, load_policy

GHP = "ghp_" + "Zq8wLk2PvX9mNc4TbR7yHs1JdF6gKa3EuW5o"


def _reference(text: str) -> list[tuple[int, int, str]]:
    """Windows as the whole text in memory gives them: each line, a long one in steps."""
    out = []
    for i, line in enumerate(text.split("\n"), 1):
        starts = range(0, max(1, len(line) - OVERLAP), WINDOW - OVERLAP) \
            if len(line) > WINDOW else (0,)
        out += [(i, s + 1, line[s:s + WINDOW]) for s in starts if line[s:s + WINDOW]]
    return out


LINES = st.lists(st.one_of(st.text("abb@\n\n", max_size=20),
                           st.integers(1, 3 * WINDOW).map(lambda n: "x" * n)),
                 max_size=6).map("".join)


@settings(max_examples=150, deadline=None)
@given(LINES, st.lists(st.integers(1, 9000), max_size=8))
def test_windows_are_the_same_however_the_text_comes_in_chunks(text: str,
                                                               cuts: list[int]) -> None:
    bounds = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    chunks = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert list(windows(chunks)) == list(windows([text])) == _reference(text)
    # chunks without a candidate are skipped unread: the same candidates, the same places
    def wanted(t: str) -> bool:
        return "@" in t
    assert [w for w in windows(chunks, wanted) if wanted(w[2])] == [
        w for w in _reference(text) if wanted(w[2])]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 5 * WINDOW), st.integers(5 * WINDOW, 12 * WINDOW))
def test_a_token_anywhere_in_a_long_line_is_whole_in_a_window(at: int, length: int) -> None:
    line = ("y" * length)[:at] + GHP + ("y" * length)[at:]
    assert any(GHP in part for _, _, part in windows([line, "\n"]))


def _policy(max_bytes: int) -> Policy:
    return replace(load_policy("default")[0], max_file_bytes=max_bytes)


@pytest.mark.parametrize(("name", "text"), [
    ("many.yaml", ("k: " + "x" * 200 + " a@b\n") * 60_000 + f"t: {GHP}\n"),  # all candidates
    ("one-line.yaml", "v: " + "y" * 12_000_000 + f" {GHP}\n"),  # no line break in 12 MB
])
def test_an_oversized_file_is_read_whole_in_bounded_memory(name: str, text: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(text, "utf-8")
    tracemalloc.start()
    try:
        report = lint([Target(Path(name), name, "yaml", False)], _policy(100_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(f.rule, f.line) for f in report.findings] == [
        ("TC004", None), ("TC110", text.count("\n"))]  # the token at the very end: not a prefix
    assert peak < 6_000_000  # a 12 MB file: never held whole


@pytest.mark.parametrize(("data", "problem"), [
    (b"\x00\x01a: " + GHP.encode() + b"\n", "binary file"),
    (b"a: caf\xe9\nb: " + GHP.encode() + b"\n", "not UTF-8"),
])
def test_a_binary_or_non_utf8_file_is_read_for_tokens(data: bytes, problem: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("x.yaml").write_bytes(data)
    report = lint([Target(Path("x.yaml"), "x.yaml", "yaml", False)], _policy(1_000_000))
    assert [f.rule for f in report.findings] == ["TC004", "TC110"]
    assert problem in report.findings[0].message and GHP in report.secrets


def test_a_fifo_swapped_in_after_the_look_is_never_waited_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    real = os.stat
    regular = real(__file__)  # what the look saw, before the swap

    def looked(path: object, *args: object, **kwargs: object) -> os.stat_result:
        return regular if str(path) == str(fifo) else real(path, *args, **kwargs)  # type: ignore

    monkeypatch.setattr(document.os, "stat", looked)
    assert stat.S_ISREG(os.stat(fifo).st_mode)
    text, problem = read_text(fifo, 1_000_000)  # opening it to read would block forever
    assert text is None and problem is not None and problem.message == "not a regular file"
    assert list(Unparsed("x.yaml", path=fifo).parts()) == []

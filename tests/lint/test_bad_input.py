"""Bad input through the real CLI: a finding (exit 1) or a clear one-line error, never a traceback,
never a hang, and the good-but-violating file beside it is still reported."""

from __future__ import annotations

import errno
import json
import os
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from trackcheck.cli import main
from trackcheck.lint import document

GOOD = "mlflow:\n  tracking_uri: https://mlflow.example.com\n"  # trips TC101 on line 2
HANG_GUARD_S = 10.0  # only catches hangs; never a performance assertion


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str, float]:
    """``trackcheck <argv> --format json``: exit code, parsed report, stderr, seconds taken."""
    t0 = time.monotonic()
    code = main([*argv, "--format", "json"])
    took = time.monotonic() - t0
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else {}), err, took


def by_path(report: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in report.get("findings", []):
        out.setdefault(f["path"], []).append(f)
    return out


# --- builders: each makes the bad file (relative path returned) in the current directory ------
def _write(rel: str, data: str | bytes) -> str:
    p = Path(rel)
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        p.write_bytes(data)
    else:
        p.write_text(data, "utf-8")
    return rel


def invalid_yaml() -> str:
    return _write("config/bad.yaml", "model:\n  name: x\n  layers: [1, 2\nmlflow: {}\n")


def unclosed_interpolation() -> str:
    return _write("config/bad.yaml", "mlflow:\n  experiment_name: ${oc.env:EXP\n")


def duplicate_keys() -> str:
    return _write("config/bad.yaml", "model:\n  name: a\n  name: b\n")


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghi"
    for prev, cur in zip(names, names[1:], strict=False):
        lines.append(f"{cur}: &{cur} [{','.join(['*' + prev] * 9)}]")
    return _write("config/bad.yaml", "\n".join(lines) + "\n")


def recursive_alias() -> str:
    return _write("config/bad.yaml", "a: &a [1, *a]\n")


def deep_flow() -> str:
    return _write("config/bad.yaml", "[" * 10_000 + "]" * 10_000 + "\n")


def deep_block_sequence() -> str:
    return _write("config/bad.yaml", "- " * 10_000 + "x\n")


def _block_mapping(depth: int) -> str:
    return "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "v\n"


def deep_block_mapping_under_parser_limit() -> str:
    # 300 levels: libyaml accepts it, the policy's max_depth (100) does not
    return _write("config/bad.yaml", _block_mapping(300))


def deep_block_mapping_over_parser_limit() -> str:
    # 1,500 levels (~1.1 MB): past libyaml's own nesting limit
    return _write("config/bad.yaml", _block_mapping(1500))


def deep_block_mapping_10k() -> str:
    # 10,000 levels of block mapping need ~50 MB of indentation: refused unread as oversized
    p = Path("config/bad.yaml")
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "w", encoding="utf-8") as fh:
        for i in range(10_000):
            fh.write(" " * i + "k:\n")
    return "config/bad.yaml"


def fifty_megabytes() -> str:
    p = Path("config/bad.yaml")
    p.parent.mkdir(parents=True, exist_ok=True)
    chunk = ("".join(f"key_{i}: value number {i}\n" for i in range(40_000))).encode()  # ~1 MB
    with open(p, "wb") as fh:
        written = 0
        while written < 50 * 1024 * 1024:
            fh.write(chunk)
            written += len(chunk)
    return "config/bad.yaml"


def binary_nul() -> str:
    return _write("config/bad.yaml", b"mlflow:\n  x: 1\n\x00\x01\x02\xff\x00 binary tail\n")


def not_utf8() -> str:
    return _write("config/bad.yaml", "model:\n  name: caf\xe9\n".encode("latin-1"))


def symlink_loop() -> str:
    Path("config").mkdir(exist_ok=True)
    os.symlink("b.yaml", "config/a.yaml")
    os.symlink("a.yaml", "config/b.yaml")
    return "config/a.yaml"


def fifo() -> str:
    Path("config").mkdir(exist_ok=True)
    os.mkfifo("config/bad.yaml")
    return "config/bad.yaml"


def symlink_to_directory() -> str:
    Path("elsewhere").mkdir()
    Path("config").mkdir(exist_ok=True)
    os.symlink("../elsewhere", "config/bad.yaml")
    return "config/bad.yaml"


def unreadable() -> str:
    """A file whose open() fails with EACCES even for root: a write-only sysctl (mode 0200)."""
    Path("config").mkdir(exist_ok=True)
    os.symlink("/proc/sys/vm/drop_caches", "config/bad.yaml")
    return "config/bad.yaml"


# (builder, expected rule, words the message must contain, whether a line is expected)
CASES: list[tuple[Callable[[], str], str, str, bool]] = [
    (invalid_yaml, "TC001", "invalid YAML", True),
    (unclosed_interpolation, "TC002", "unclosed", True),
    (duplicate_keys, "TC003", "duplicate key 'model.name'", True),
    (billion_laughs, "TC004", "expansion bomb", True),
    (recursive_alias, "TC004", "recursive alias", True),
    (deep_flow, "TC004", "nesting", True),
    (deep_block_sequence, "TC004", "nesting", True),
    (deep_block_mapping_under_parser_limit, "TC004", "nesting", True),
    (deep_block_mapping_over_parser_limit, "TC004", "nesting", True),
    (deep_block_mapping_10k, "TC004", "oversized", False),
    (fifty_megabytes, "TC004", "oversized", False),
    (binary_nul, "TC004", "binary", False),
    (not_utf8, "TC004", "not UTF-8", False),
    (symlink_loop, "TC004", "symlink loop", False),
    (fifo, "TC004", "not a regular file", False),
    (unreadable, "TC004", "Permission denied", False),
]


@pytest.mark.parametrize("how", ["directory", "explicit"])
@pytest.mark.parametrize(("build", "rule", "words", "has_line"), CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_bad_file_is_a_finding_and_the_good_file_is_still_linted(
    build: Callable[[], str], rule: str, words: str, has_line: bool, how: str,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    _write("config/good.yaml", GOOD)
    bad = build()
    argv = ["lint", "config"] if how == "directory" else ["lint", bad, "config/good.yaml"]
    code, report, err, took = run(argv, capsys)
    assert code == 1, err
    assert "Traceback" not in err and err == ""
    assert took < HANG_GUARD_S
    found = by_path(report)
    assert [f["rule"] for f in found["config/good.yaml"]] == ["TC101"]
    mine = [f for f in found.get(bad, []) if f["rule"] == rule]
    assert mine, found
    assert words in mine[0]["message"]
    assert "\n" not in mine[0]["message"]
    if has_line:
        assert mine[0]["line"] is not None and mine[0]["column"] is not None


def test_symlink_to_a_directory_given_explicitly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # given explicitly it is not a regular file (TC004); a directory walk does not follow
    # directory symlinks at all, so inside config/ it is simply not a file to lint
    monkeypatch.chdir(tmp_path)
    _write("config/good.yaml", GOOD)
    bad = symlink_to_directory()
    code, report, err, _ = run(["lint", bad, "config/good.yaml"], capsys)
    assert code == 1 and err == ""
    assert [(f["path"], f["rule"]) for f in report["findings"]] == [
        ("config/bad.yaml", "TC004"), ("config/good.yaml", "TC101")]
    assert report["findings"][0]["message"] == "not a regular file"
    code, report, err, _ = run(["lint", "config"], capsys)
    assert [(f["path"], f["rule"]) for f in report["findings"]] == [("config/good.yaml", "TC101")]


def test_syntax_error_position(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    invalid_yaml()
    _, report, _, _ = run(["lint", "config/bad.yaml"], capsys)
    (f,) = report["findings"]
    assert (f["rule"], f["line"]) == ("TC001", 4)  # where the parser gave up: the unclosed '['
    assert f["column"] >= 1


def test_both_ends_of_a_symlink_loop_inside_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    symlink_loop()
    code, report, _, _ = run(["lint", "config"], capsys)
    assert code == 1
    assert {(f["path"], f["rule"]) for f in report["findings"]} == {
        ("config/a.yaml", "TC004"), ("config/b.yaml", "TC004")}


def test_fifty_megabytes_are_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = fifty_megabytes()
    tracemalloc.start()
    try:
        code, report, _, _ = run(["lint", bad], capsys)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 1 and report["findings"][0]["rule"] == "TC004"
    assert peak < 10 * 1024 * 1024  # a whole read would need 50 MB at least


def test_a_directory_named_like_yaml_is_walked_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # a directory given explicitly is expanded like any directory; its YAML is linted
    monkeypatch.chdir(tmp_path)
    _write("odd.yaml/inner.yaml", GOOD)
    code, report, err, _ = run(["lint", "odd.yaml"], capsys)
    assert code == 1 and err == ""
    found = [(f["path"], f["rule"]) for f in report["findings"]]
    assert found == [("odd.yaml/inner.yaml", "TC101")]


def test_missing_path_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _write("config/good.yaml", GOOD)
    code = main(["lint", "config/good.yaml", "config/nope.yaml"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "config/nope.yaml" in err and "no such file" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("text", "expected"), [
    ("", []),
    ("# only a comment\n# and another\n", []),
    ("\n\n   \n", []),
    ("---\n...\n", []),
    ("a: 1\n---\nmlflow:\n  tracking_uri: http://db.example.com\n---\n- x\n", [("TC101", 4)]),
    ("just a scalar\n", []),
    ("42\n", []),
    ("- a\n- b\n", []),
    ("- mlflow:\n    tracking_uri: http://db.example.com\n", [("TC101", 2)]),
    ("? [complex, key]\n: value\n", []),
    ("!!binary aGVsbG8=\n", []),
])
def test_odd_but_valid_yaml(
    text: str, expected: list[tuple[str, int]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    _write("config/odd.yaml", text)
    _write("config/good.yaml", GOOD)
    code, report, err, _ = run(["lint", "config"], capsys)
    assert code == 1 and err == ""
    found = by_path(report)
    assert [f["rule"] for f in found["config/good.yaml"]] == ["TC101"]
    assert [(f["rule"], f["line"]) for f in found.get("config/odd.yaml", [])] == expected


# --- read_text alone --------------------------------------------------------------------
def test_read_text_turns_an_open_failure_into_a_problem(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "x.yaml"
    p.write_text("a: 1\n")

    def refuse(*args: object, **kwargs: object) -> object:
        raise PermissionError(errno.EACCES, "Permission denied", str(p))

    monkeypatch.setattr(document, "_read_fd", refuse)  # the read after the file was opened
    text, problem = document.read_text(p, 1000)
    assert text is None and problem is not None
    assert problem.rule == "TC004" and "Permission denied" in problem.message


def test_read_text_strips_a_bom(tmp_path: Path) -> None:
    p = tmp_path / "x.yaml"
    p.write_bytes("\ufeffa: 1\n".encode())
    assert document.read_text(p, 1000) == ("a: 1\n", None)


def test_read_text_size_limit_is_exact(tmp_path: Path) -> None:
    p = tmp_path / "x.yaml"
    p.write_bytes(b"a: 1\n")
    assert document.read_text(p, 5)[0] == "a: 1\n"
    text, problem = document.read_text(p, 4)
    assert text is None and problem is not None and "oversized" in problem.message


def test_fifos_in_a_walked_tree_are_never_opened(tmp_path: Path) -> None:
    """Finding config roots reads Python sources and --fix reads the config trees: a FIFO named
    like either is not a regular file, and is never opened (it would wait for a writer)."""
    import subprocess
    import sys

    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text("defaults:\n  - _self_\n" + GOOD)
    os.mkfifo(tmp_path / "train.py")
    os.mkfifo(tmp_path / "conf" / "pipe.yaml")
    done = subprocess.run([sys.executable, "-m", "trackcheck", "lint", "--unsafe-fixes",
                           "--diff"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)  # the timeout: a hang guard
    assert "Traceback" not in done.stderr
    assert "tracking_uri" in done.stdout and "${oc.env:MLFLOW_TRACKING_URI}" in done.stdout

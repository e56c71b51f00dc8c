"""Committed command lines: shell words with positions, assignments, kinds of files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackcheck.lint.commandlines import (
    Assignment,
    Word,
    assignments,
    from_document,
    remote_uri,
    split_commands,
)
from trackcheck.lint.discover import classify, code_kind, discover
from trackcheck.lint.document import build
from trackcheck.lint.runner import load
from trackcheck.policy import load_policy


def texts(text: str) -> list[list[str]]:
    return [[w.text for w in cmd] for cmd in split_commands(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("python train.py a=1 b=2", [["python", "train.py", "a=1", "b=2"]]),
    ("a 'b c' \"d e\" f\\ g", [["a", "b c", "d e", "f g"]]),
    ("x=\"it's\" y='say \"hi\"'", [["x=it's", 'y=say "hi"']]),
    ('x="a\\"b\\$c"', [['x=a"b$c']]),
    ("a \\\n  b \\\n  c", [["a", "b", "c"]]),
    ("a; b && c || d | e & f", [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]),
    ("a # comment x=1\nb", [["a"], ["b"]]),
    ("a#b", [["a#b"]]),
    ("", []),
    ("  \n\n ", []),
    ("echo 'unterminated x=1\nmore", [["echo", "unterminated x=1\nmore"]]),
    ("trailing\\", [["trailing\\"]]),
])
def test_split(text: str, expected: list[list[str]]) -> None:
    assert texts(text) == expected


def test_word_positions() -> None:
    cmds = split_commands("run \\\n  'q x'  k=v\n\tz", line=10, column=5)
    assert cmds == [[Word("run", 10, 5), Word("q x", 11, 3), Word("k=v", 11, 10)],
                    [Word("z", 12, 2)]]


@pytest.mark.parametrize(("word", "key", "value"), [
    ("mlflow.tracking_uri=x", "mlflow.tracking_uri", "x"),
    ("+a.b=x", "a.b", "x"),
    ("++a.b=x", "a.b", "x"),
    ("~a.b=x", "a.b", "x"),
    ("--tracking-uri=x", "tracking-uri", "x"),
    ("-p=x", "p", "x"),
    ("db@backup=mysql", "db@backup", "mysql"),
    ("MLFLOW_TRACKING_URI=", "MLFLOW_TRACKING_URI", ""),
    ("a=b=c", "a", "b=c"),
])
def test_assignment_words(word: str, key: str, value: str) -> None:
    (a,) = assignments([Word(word, 1, 1)])
    assert (a.key, a.value) == (key, value)


@pytest.mark.parametrize("word", ["=x", "https://x/?a=b", "s/token=a/b/", "[x]=1", "1a=2", "~a.b"])
def test_not_assignments(word: str) -> None:
    assert list(assignments([Word(word, 1, 1)])) == []


def test_option_pairs() -> None:
    words = [Word(t, 1, i) for i, t in enumerate(["x", "--token", "abc", "--flag", "--out", "-"])]
    assert [(a.key, a.value, a.column) for a in assignments(words)] == [("token", "abc", 2)]
    assert list(assignments(words, options=False)) == []


def test_plain_arguments() -> None:
    words = [Word(t, 1, i) for i, t in enumerate(
        ["A=1", "./up.sh", "short", "--token", "a-long-token-value-1", "b-long-argument-value-2"])]
    found = [(a.key, a.value, a.positional) for a in assignments(words, arguments=True)]
    assert found == [("A", "1", False), ("token", "a-long-token-value-1", False),
                     ("./up.sh", "b-long-argument-value-2", True)]
    weird = [Word("$(echo x)", 1, 1), Word("c-long-argument-value-3", 1, 2)]
    assert [a.key for a in assignments(weird, arguments=True)] == ["command"]


def test_assignment_name_and_literal() -> None:
    assert Assignment("tracking-uri", "x", 1, 1).name == "tracking_uri"
    assert Assignment("logger.mlflow.tracking_uri", "x", 1, 1).name == "tracking_uri"
    assert Assignment("db@backup", "x", 1, 1).name == "db"
    for v in ("hunter2", "'https://x'", "a$"):
        assert Assignment("k", v, 1, 1).literal, v
    for v in ("", "''", "$X", "${X}", "$(cat f)", "`cat f`", "${{ secrets.X }}", "${oc.env:X}",
              "???", "null", "true", "<token>", "****", "$1"):
        assert not Assignment("k", v, 1, 1).literal, v


@pytest.mark.parametrize(("value", "kind"), [
    ("https://mlflow.example.com", "tracking"),
    ("http://10.0.0.5:5000", "tracking"),
    ("databricks", "databricks"),
    ("databricks-uc", "databricks"),
    ("postgresql://db.example.com/mlflow", "db"),
    ("'https://mlflow.example.com'", "tracking"),
    ("http://localhost:5000,https://m.example.com", "tracking"),
    ("http://127.0.0.1:5000", None),
    ("http://localhost", None),
    ("http://[::1]:5000", None),
    ("postgresql://localhost/mlflow", None),
    ("file:./mlruns", None),
    ("/mnt/mlruns", None),
    ("sqlite:///mlflow.db", None),
    ("mlruns", None),
    ("models:/m@prod", None),
])
def test_remote_uri(value: str, kind: str | None) -> None:
    assert remote_uri(value) == kind


@pytest.mark.parametrize(("name", "kind"), [
    ("train.py", "python"), ("run.sh", "shell"), ("run.bash", "shell"), ("Makefile", "make"),
    ("makefile", "make"), ("GNUmakefile", "make"), ("rules.mk", "make"), ("Dockerfile", "docker"),
    ("Containerfile", "docker"), ("train.Dockerfile", "docker"), ("Dockerfile.gpu", "docker"),
    ("README.md", None), ("setup.cfg", None), ("train.pyc", None), ("run.shx", None),
])
def test_code_kinds(name: str, kind: str | None) -> None:
    assert code_kind(name) == kind
    t = classify(f"x/{name}", load_policy("default")[0])
    assert (t.kind if t else None) == kind


def test_discovery(tmp_path: Path) -> None:
    policy = load_policy("default")[0]
    for rel in ("Makefile", "Dockerfile", "train.py", "scripts/run.sh", "config/a.yaml",
                ".env", "src/pkg/mod.py", ".venv/lib/x.py", "notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    found = {t.rel: t.kind for t in discover([str(tmp_path)], policy, tmp_path).targets}
    assert found == {"Makefile": "make", "Dockerfile": "docker", "train.py": "python",
                     "scripts/run.sh": "shell", "config/a.yaml": "hydra", ".env": "env",
                     "src/pkg/mod.py": "python"}
    # without arguments: the whole tree, the same files (outside git: a walk)
    import os

    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        default = {t.rel for t in discover([], policy, tmp_path).targets}
    finally:
        os.chdir(old)
    assert default == set(found)


def test_code_documents_have_no_nodes(tmp_path: Path) -> None:
    policy = load_policy("default")[0]
    (tmp_path / "run.sh").write_text("python train.py a=1\n")
    t = classify("run.sh", policy)
    assert t is not None
    doc = load(t.__class__(tmp_path / "run.sh", "run.sh", t.kind, False), policy)
    assert (doc.kind, doc.nodes, doc.problems) == ("shell", [], [])
    assert doc.text == "python train.py a=1\n"


def test_yaml_command_keys_and_cache() -> None:
    text = ("a:\n  run: python x.py k=1\n  script:\n    - python y.py m=2\n"
            "  env:\n    K: v=3\n  other: python z.py n=4\n")
    doc = build(".github/workflows/w.yml", "yaml", text)
    found = from_document(doc)
    assert [(a.key, a.line, a.column) for a in found] == [("k", 2, 20), ("m", 4, 19)]
    assert from_document(doc) is found  # cached for the document in hand


def test_block_scalar_positions() -> None:
    text = ("steps:\n  - run: |\n      echo x=1\n      python t.py \\\n        y=2 x=1\n"
            "  - run: >-\n      python t.py\n      z=3\n")
    doc = build(".github/workflows/w.yml", "yaml", text)
    assert [(a.key, a.line, a.column) for a in from_document(doc)] == [
        ("x", 3, 12), ("y", 5, 9), ("x", 5, 13), ("z", 8, 7)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab=+-~$'\"\\ \n\t#;|&{}()[]`.:/")), max_size=80))
def test_split_never_raises(text: str) -> None:
    for cmd in split_commands(text):
        for w in cmd:
            assert w.line >= 1 and w.column >= 1
        list(assignments(cmd))


def test_yaml_rules_do_not_read_code_files() -> None:
    from tests.conftest import codes

    text = "password: Hunter2-Secret-99\ntracking_uri: https://mlflow.example.com\nx: ${oc.env:A\n"
    for rel in ("run.sh", "Makefile", "Dockerfile", "train.py"):
        assert codes(text, rel) == [], rel


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["run.sh", "Makefile", "Dockerfile", "train.py"]))
def test_any_text_as_a_code_file_never_raises(text: str, rel: str) -> None:
    from tests.conftest import lint_text

    lint_text(text, rel)


# --- words under their names, for the secret rules (tests/lint/test_code_secrets.py) -------
def keyed(text: str) -> list[tuple[str, str, str, bool]]:
    from trackcheck.lint.commandlines import keyed_words

    return [(w.text, name, value, sets) for cmd in split_commands(text)
            for w, name, value, sets in keyed_words(cmd)]


@pytest.mark.parametrize(("text", "expected"), [
    ("A=1 B=2 python t.py c=3", [("A=1", "A", "1", True), ("B=2", "B", "2", True),
                                 ("python", "python", "python", False),
                                 ("t.py", "python", "t.py", False), ("c=3", "c", "3", False)]),
    ("export A=1", [("export", "export", "export", False), ("A=1", "A", "1", True)]),
    ("readonly A=1; local B=2", [("readonly", "readonly", "readonly", False),
                                 ("A=1", "A", "1", True), ("local", "local", "local", False),
                                 ("B=2", "B", "2", True)]),
    ("+a.b=1 cmd", [("+a.b=1", "a.b", "1", False), ("cmd", "cmd", "cmd", False)]),
    ("a.b=1 cmd", [("a.b=1", "a.b", "1", False), ("cmd", "cmd", "cmd", False)]),
    ("x --token v", [("x", "x", "x", False), ("--token", "x", "--token", False),
                     ("v", "token", "v", False)]),
])
def test_keyed_words(text: str, expected: list[tuple[str, str, str, bool]]) -> None:
    assert keyed(text) == expected


@pytest.mark.parametrize(("value", "literal"), [
    ("hunter2", True), ("'hunter2'", True), ("", False), ("$X", False), ("${X:-y}", False),
    ("$(cat f)", False), ("`cat f`", False), ("<your-token>", False), ("****", False),
    ("???", False), ("null", False), ("true", False),
])
def test_is_literal(value: str, literal: bool) -> None:
    from trackcheck.lint.commandlines import is_literal

    assert is_literal(value) is literal


def test_word_ends() -> None:
    (cmd,) = split_commands("ab 'c d'  e\\ f \"g\nh\" i")
    assert [(w.text, w.line, w.column, w.end_line, w.end_column) for w in cmd] == [
        ("ab", 1, 1, 1, 3), ("c d", 1, 4, 1, 9), ("e f", 1, 11, 1, 15),
        ("g\nh", 1, 16, 2, 3), ("i", 2, 4, 2, 5)]


def test_commands_are_split_once_per_document() -> None:
    from trackcheck.lint.commandlines import commands
    from trackcheck.lint.document import Document

    doc = Document(path="x.sh", kind="shell", text="a b\nc\n")
    assert commands(doc) is commands(doc)
    assert [[w.text for w in c] for c in commands(doc)] == [["a", "b"], ["c"]]


def _reference_split(text: str) -> list[list[tuple[str, int, int]]]:
    """The character-by-character reading split_commands stands for (its first version)."""
    commands: list[list[tuple[str, int, int]]] = []
    words: list[tuple[str, int, int]] = []
    buf: list[str] = []
    start: tuple[int, int] | None = None
    i, n, line, column = 0, len(text), 1, 1

    def end_word() -> None:
        nonlocal buf, start
        if start is not None:
            words.append(("".join(buf), *start))
        buf, start = [], None

    def end_command() -> None:
        nonlocal words
        end_word()
        if words:
            commands.append(words)
        words = []

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            if text[i + 1] == "\n":
                i, line, column = i + 2, line + 1, 1
                continue
            start = start or (line, column)
            buf.append(text[i + 1])
            i, column = i + 2, column + 2
            continue
        if c in "'\"":
            start = start or (line, column)
            j = i + 1
            while j < n and text[j] != c:
                if c == '"' and text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`\n':
                    j += 1
                buf.append(text[j])
                j += 1
            for ch in text[i:j + 1]:
                line, column = (line + 1, 1) if ch == "\n" else (line, column + 1)
            i = j + 1
            continue
        if c == "#" and start is None:
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c == "\n" or c in ";&|":
            end_command()
        elif c in " \t\r":
            end_word()
        else:
            start = start or (line, column)
            buf.append(c)
        line, column = (line + 1, 1) if c == "\n" else (line, column + 1)
        i += 1
    end_command()
    return commands


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "bc", " ", "\t", "\n", "'", '"', "\\", "#", ";", "|",
                                 "=", "$", "é", "x=y", "\\\n", "\r"]), max_size=40))
def test_split_reads_as_the_reference(parts: list[str]) -> None:
    text = "".join(parts)
    assert [[(w.text, w.line, w.column) for w in c] for c in split_commands(text)] == \
        _reference_split(text)

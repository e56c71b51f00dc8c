"""Interpolations read with OmegaConf's grammar: structure, escapes, errors, and the regex fast
path that must agree with the grammar on every string it accepts."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from trackcheck.lint import interpolation
from trackcheck.lint.interpolation import (
    KNOWN_RESOLVERS,
    Interpolation,
    Resolver,
    _simple,
    analyse,
    grammar,
)


def env(*args: str) -> Resolver:
    return Resolver("oc.env", args, (False,) * len(args))


# value -> (refs, resolvers, literal text, top-level interpolations)
STRUCTURE = [
    ("plain text", ((), (), "plain text", 0)),
    ("", ((), (), "", 0)),
    ("${a.b}", (("a.b",), (), "", 1)),
    ("${.sibling}", ((".sibling",), (), "", 1)),
    ("${a[0].b}", (("a[0].b",), (), "", 1)),
    ("${ a.b }", ((" a.b ",), (), "", 1)),
    ("${paths.root}/mlruns", (("paths.root",), (), "/mlruns", 1)),
    ("http://${host}:${port}/x", (("host", "port"), (), "http://:/x", 2)),
    ("${oc.env:MLFLOW_TRACKING_URI}", ((), (env("MLFLOW_TRACKING_URI"),), "", 1)),
    ("${oc.env:X,http://db:5432}", ((), (env("X", "http://db:5432"),), "", 1)),
    ("${oc.env:X,'quoted, default'}", ((), (env("X", "quoted, default"),), "", 1)),
    ("${oc.env:X,${oc.env:Y,z}}",
     ((), (Resolver("oc.env", ("X", "${oc.env:Y,z}"), (False, True)), env("Y", "z")), "", 1)),
    ("${now:%Y-%m-%d}_run", ((), (Resolver("now", ("%Y-%m-%d",), (False,)),), "_run", 1)),
    ("${hydra:runtime.output_dir}",
     ((), (Resolver("hydra", ("runtime.output_dir",), (False,)),), "", 1)),
    ("\\${not.an.interpolation}", ((), (), "${not.an.interpolation}", 0)),
    ("cost: \\\\${a}", (("a",), (), "cost: \\", 1)),  # an escaped backslash, then ${a}
    ("x\\\\\\${a}", ((), (), "x\\${a}", 0)),  # an escaped backslash, then an escaped ${
    ("a\\\\b${a}", (("a",), (), "a\\\\b", 1)),  # backslashes elsewhere are text
]


@pytest.mark.parametrize(("value", "expected"), STRUCTURE, ids=[v for v, _ in STRUCTURE])
def test_structure(value: str, expected: tuple) -> None:
    i = analyse(value)
    assert i.error is None
    assert (i.refs, i.resolvers, i.text, i.top_level) == expected
    assert i == grammar(value) or "${" not in value


@pytest.mark.parametrize(("value", "pure_ref", "env_lookup", "defaults"), [
    ("${a.b}", True, False, []),
    ("${a.b}x", False, False, []),
    ("${a}${b}", False, False, []),
    ("${oc.env:X}", False, True, []),
    ("${oc.env:X,null}", False, True, ["null"]),
    ("${oc.env:X,secret-default}", False, True, ["secret-default"]),
    ("${oc.env:X}/path", False, False, []),
    ("${oc.select:a,${oc.env:X,inner}}", False, False, ["inner"]),
    ("${oc.env:X,${a.b}}", False, True, []),  # an interpolated default is no literal
    ("\\${oc.env:X}", False, False, []),
])
def test_predicates(value: str, pure_ref: bool, env_lookup: bool, defaults: list[str]) -> None:
    i = analyse(value)
    assert (i.is_pure_ref, i.is_env_lookup, i.env_defaults()) == (pure_ref, env_lookup, defaults)
    assert i.is_interpolation == ("${" in value.replace("\\${", ""))


@pytest.mark.parametrize(("value", "error"), [
    ("${oc.env:FOO", "unclosed '${'"),
    ("${a.b", "unclosed '${'"),
    ("x ${", "unclosed '${'"),
    ("${}", "OmegaConf's grammar rejects it"),
    ("${a b}", "a character OmegaConf's grammar does not allow there"),
    ("${oc.env:X,hunter2-Secret!}", "a character OmegaConf's grammar does not allow there"),
    ("${oc.env:X,hunter2-Secret}", None),
])
def test_errors_never_quote_the_value(value: str, error: str | None) -> None:
    i = analyse(value)
    assert i.error == error
    if error:
        assert "hunter2" not in error and value not in error


def test_hydra_resolvers_are_known() -> None:
    assert {"oc.env", "now", "hydra"} <= KNOWN_RESOLVERS


def test_results_are_cached() -> None:
    assert analyse("${a.b}/cached") is analyse("${a.b}/cached")


# --- the fast path ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    "${a.b}", "x/${a.b}/y${c:d}z", "${oc.env:X,-1}", "${oc.env:A,/opt/x}", "${now:%Y-%m-%d}_a",
    "${..a}", "${[a].b}", "${a.b-c}", "${a:b?c,d|e,*}", "é ${a} ü",
])
def test_fast_path_takes_the_common_shapes(value: str) -> None:
    fast = _simple(value)
    assert fast is not None
    assert fast == grammar(value)


@pytest.mark.parametrize("value", [
    "plain", "\\${a}", "${a}}", "a}b${c}", "${x:}", "${ a }", "${a:'q'}", "${a:${b}}", "$x${a}",
    "${oc.env:X,a b}", "${a", "${a:b c}", "${a.b}\\", "${$a}",
])
def test_fast_path_leaves_the_rest_to_the_grammar(value: str) -> None:
    assert _simple(value) is None


KEY = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,6}", fullmatch=True)
NODE = st.builds(
    lambda dots, first, rest: "." * dots + first + "".join(rest),
    st.integers(0, 2), st.one_of(KEY, KEY.map(lambda k: f"[{k}]")),
    st.lists(st.one_of(KEY.map(lambda k: "." + k), KEY.map(lambda k: f"[{k}]")), max_size=3))
ARG = st.text("abcXYZ019_/-+.%*@?|", min_size=1, max_size=8)
RESOLVER = st.builds(lambda name, args: "${" + name + ":" + ",".join(args) + "}",
                     st.sampled_from(["oc.env", "now", "hydra", "oc.select", "my-res", "a.b_c"]),
                     st.lists(ARG, min_size=1, max_size=3))
INTERP = st.one_of(NODE.map(lambda n: "${" + n + "}"), RESOLVER)
TEXT = st.text(st.sampled_from(list("ab /:._-@é'\"\n\t#,=[]()|")), max_size=6)
SIMPLE = st.lists(st.tuples(TEXT, INTERP), min_size=1, max_size=4).flatmap(
    lambda parts: TEXT.map(lambda tail: "".join(t + i for t, i in parts) + tail))
# the same, with characters sprinkled in that the fast path must refuse or get right
NOISY = st.tuples(SIMPLE, st.integers(0, 40), st.sampled_from(list("\\${}: ,'\"[]."))).map(
    lambda t: t[0][: t[1]] + t[2] + t[0][t[1]:])


@settings(max_examples=300, deadline=None)
@given(SIMPLE)
@example("${a.b}")
def test_fast_path_agrees_with_the_grammar(value: str) -> None:
    fast = _simple(value)
    assert fast is not None, value  # the generated shapes are the ones the fast path exists for
    assert fast == grammar(value)


@settings(max_examples=300, deadline=None)
@given(NOISY)
def test_fast_path_never_disagrees(value: str) -> None:
    fast = _simple(value)
    if fast is not None:
        assert fast == grammar(value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_analyse_never_raises(value: str) -> None:
    analyse("${" + value)
    analyse(value + "}")
    analyse(value)


PIECES = st.lists(st.sampled_from(["x", " ", "\\", "\\\\", "$", "{", "}", "${a}", "\\${a}", ":"]),
                  max_size=12).map("".join)


@settings(max_examples=200, deadline=None)
@given(PIECES)
def test_literal_text_is_what_omegaconf_keeps(value: str) -> None:
    """With every reference resolving to '', OmegaConf's own result is exactly the literal text."""
    i = analyse(value)
    if i.error is not None or i.resolvers or set(i.refs) - {"a"}:
        return  # only references to 'a' resolve here
    assert OmegaConf.create({"a": "", "x": value}).x == i.text


# --- bounded reading: long strings in pieces, long or deep interpolations not parsed ----------
LEXED = st.lists(st.sampled_from(
    ["${", "}", "a", "b.c", ":", ",", "'", '"', "\\", "\\\\", "{", " ", "$", "oc.env:", "[0]",
     "x y", "1", "${a}", "${oc.env:X,d}", "\\${", "'q'", "}}"]), min_size=1, max_size=16).map(
    "".join)


@settings(max_examples=1500, deadline=None)
@given(value=LEXED, piece=st.integers(1, 6))
def test_pieces_read_as_the_whole_string_reads(value: str, piece: int) -> None:
    """Cut as finely as the top level allows, the pieces' readings joined are the grammar's
    reading of the whole: the same text, references and calls, and an error when it has one."""
    pieces = interpolation._pieces(value, piece)
    assert isinstance(pieces, list) and "".join(pieces) == value
    parts = [interpolation._piece(p) for p in pieces]
    joined = next((p for p in parts if p.error is not None), None) or Interpolation(
        text="".join(p.text for p in parts), refs=tuple(r for p in parts for r in p.refs),
        resolvers=tuple(r for p in parts for r in p.resolvers),
        top_level=sum(p.top_level for p in parts), has_text=any(p.has_text for p in parts))
    whole = grammar(value)
    assert (joined.error is None) == (whole.error is None)
    if whole.error is None:
        assert joined == whole


def _grammar_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from omegaconf import grammar_parser  # imported by trackcheck only when a string needs it

    read: list[str] = []
    parse = grammar_parser.parse

    def counting(value: str, *args: object, **kwargs: object) -> object:
        read.append(value)
        return parse(value, *args, **kwargs)

    monkeypatch.setattr(grammar_parser, "parse", counting)
    return read


@pytest.mark.parametrize("value", [
    "${a.b}" * 20_000 + "$",  # the fast path reads it but for its last piece
    "${oc.env:A,'b'}" * 2_000,  # quoted arguments: the grammar reads every piece
    "x" * 50_000 + "${a:'q'} and ${b}\\",
])
def test_a_long_string_is_read_in_bounded_pieces(value: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    read = _grammar_reads(monkeypatch)
    i = analyse(value)
    assert i.error is None and i.top_level == value.count("${")
    assert read and max(map(len, read)) <= interpolation.PIECE + 64
    assert sum(map(len, read)) <= len(value)


@pytest.mark.parametrize(("value", "error"), [
    ("${a." * 40 + "b" + "}" * 40, "nested deeper than 32"),  # took the grammar minutes at 1,250
    ("${oc.create:" + "{a:" * 40 + "1" + "}" * 41, "nested deeper than 32"),
    ("${oc.env:X," + "${a.b}" * 1_000 + "}", "longer than 4096 characters"),
    ("${a:'" + "x" * 5_000, "longer than 4096 characters"),
])
def test_interpolations_too_deep_or_long_are_not_parsed(value: str, error: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    read = _grammar_reads(monkeypatch)
    i = analyse(value)
    assert i.error is not None and error in i.error
    assert read == []  # refused before the grammar sees it


def test_long_strings_are_not_kept_in_the_cache() -> None:
    long = "${a.b}" * 1_000 + "$"
    assert analyse(long) == analyse(long) and analyse(long) is not analyse(long)

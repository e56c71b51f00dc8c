"""The located document: positions, key paths, Hydra packages, merges, duplicates, budgets."""

from __future__ import annotations

import gc
import textwrap
from collections.abc import Callable

import pytest

from tests.conftest import lines_executed
from trackcheck.lint.document import Document, Memo, Node, build, package_of


def doc_of(text: str, path: str = "config/x.yaml", kind: str = "hydra", **kw: int) -> Document:
    d = build(path, kind, textwrap.dedent(text), **kw)  # type: ignore[arg-type]
    return d


def by_key(d: Document) -> dict[str, Node]:
    return {n.key: n for n in d.nodes}


SAMPLE = """\
mlflow:
  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}
  tags: {env: dev, debug: false}
  enabled: true
model:
  layers: [64, 128]
  lr: 3.0e-4
  callbacks:
    - name: early_stop
      token: abc
  note: |
    two
    lines
  empty:
  nothing: null
"""


def test_positions_and_key_paths() -> None:
    n = by_key(doc_of(SAMPLE))
    expected = {
        # key: (kind, line, column, key_line, key_column, value, tag)
        "mlflow": ("mapping", 2, 3, 1, 1, "", "mapping"),
        "mlflow.tracking_uri": ("scalar", 2, 17, 2, 3, "${oc.env:MLFLOW_TRACKING_URI}", "str"),
        "mlflow.tags": ("mapping", 3, 9, 3, 3, "", "mapping"),
        "mlflow.tags.env": ("scalar", 3, 15, 3, 10, "dev", "str"),
        "mlflow.tags.debug": ("scalar", 3, 27, 3, 20, "false", "bool"),
        "mlflow.enabled": ("scalar", 4, 12, 4, 3, "true", "bool"),
        "model.layers": ("list", 6, 11, 6, 3, "", "list"),
        "model.layers[1]": ("scalar", 6, 16, None, None, "128", "int"),
        "model.lr": ("scalar", 7, 7, 7, 3, "3.0e-4", "float"),
        "model.callbacks[0]": ("mapping", 9, 7, None, None, "", "mapping"),
        "model.callbacks[0].token": ("scalar", 10, 14, 10, 7, "abc", "str"),
        "model.note": ("scalar", 11, 9, 11, 3, "two\nlines\n", "str"),
        "model.empty": ("scalar", 14, 9, 14, 3, "", "null"),
        "model.nothing": ("scalar", 15, 12, 15, 3, "null", "null"),
    }
    for key, want in expected.items():
        node = n[key]
        got = (node.kind, node.line, node.column, node.key_line, node.key_column, node.value,
               node.tag)
        assert got == want, key


def test_names_parents_and_predicates() -> None:
    d = doc_of(SAMPLE)
    n = by_key(d)
    assert n["model.callbacks[0].token"].name == "token"
    assert n["model.layers[0]"].name == ""
    assert n["model.empty"].is_empty and n["model.nothing"].is_empty
    assert not n["mlflow.enabled"].is_string and n["model.note"].is_string
    root = d.roots[0]
    assert root.key == "" and root.child("model") is n["model"]
    assert [c.name for c in n["mlflow"].children] == ["tracking_uri", "tags", "enabled"]
    assert n["mlflow"].child("missing") is None


def test_node_views_are_in_document_order() -> None:
    d = doc_of(SAMPLE)
    assert [n.key for n in d.mappings()] == [
        "", "mlflow", "mlflow.tags", "model", "model.callbacks[0]"]
    assert [n.key for n in d.strings()] == [
        "mlflow.tracking_uri", "mlflow.tags.env", "model.callbacks[0].name",
        "model.callbacks[0].token", "model.note"]
    assert len(list(d.scalars())) == 12
    assert all(n.kind == "scalar" for n in d.scalars())


def test_node_views_see_nodes_added_later() -> None:
    d = doc_of("a: 1\n")
    assert [n.key for n in d.scalars()] == ["a"]
    d.nodes.append(Node("scalar", "b", "b", "b", 2, 1, value="x"))
    assert [n.key for n in d.scalars()] == ["a", "b"]
    assert [n.key for n in d.strings()] == ["b"]


@pytest.mark.parametrize(("path", "text", "package"), [
    ("config/config.yaml", "", ""),
    ("config/mlflow/default.yaml", "", "mlflow"),
    ("config/model/resnet/big.yaml", "", "model.resnet"),
    ("config/experiment/x.yaml", "# @package _global_\n", ""),
    ("config/experiment/x.yaml", "# @package _global_.trainer\n", "trainer"),
    ("config/db/x.yaml", "# @package _group_.conn\n", "db.conn"),
    ("config/db/x.yaml", "# @package storage\n", "storage"),
    ("conf/mlflow/x.yaml", "", ""),  # outside the config root: no group
    # a root is a path from the working directory, not a folder name met anywhere
    ("project/config/mlflow/x.yaml", "", ""),
])
def test_package_of(path: str, text: str, package: str) -> None:
    assert package_of(path, text, "config") == package


def test_full_key_carries_the_package() -> None:
    n = by_key(doc_of("tracking_uri: x\ntags:\n  env: dev\n", "config/mlflow/default.yaml"))
    uri = n["tracking_uri"]
    assert (uri.key, uri.full_key) == ("tracking_uri", "mlflow.tracking_uri")
    assert n["tags.env"].full_key == "mlflow.tags.env"
    n = by_key(doc_of("# @package _global_\nmlflow:\n  run_name: x\n", "config/experiment/a.yaml"))
    assert n["mlflow.run_name"].full_key == "mlflow.run_name"


def test_non_hydra_yaml_has_no_package() -> None:
    d = doc_of("a: 1\n", "config/mlflow/x.yaml", kind="yaml")
    assert d.package == "" and by_key(d)["a"].full_key == "a"


def test_defaults_list() -> None:
    d = doc_of("defaults:\n  - mlflow: default\n  - override /model: big\n  - _self_\n"
               "  - {data: x}\n")
    assert d.defaults == ["mlflow: default", "override /model: big", "_self_", "data: x"]


def test_duplicates_point_at_the_second_key() -> None:
    d = doc_of("model:\n  name: a\n  lr: 1\n  name: b\nname: c\n")
    assert [(n.key, n.key_line, first) for n, first in d.duplicates] == [("model.name", 4, 2)]


def test_anchors_are_listed_once_and_aliases_marked() -> None:
    d = doc_of("base: &b\n  token: abc\ncopy: *b\nlist: [*b, *b]\n")
    # an alias adds no node: what it points at is already listed once, under the anchor's key
    assert [n.key for n in d.nodes] == ["", "base", "base.token", "list"]
    copy = d.roots[0].child("copy")
    assert copy is not None and copy.via_alias and copy.children[0].key == "copy.token"


def test_merge_keys_follow_yaml_precedence() -> None:
    d = doc_of("""\
        a: &a {lr: 1, name: x, k: 1}
        b: &b {lr: 2, z: 3, k: 2}
        model:
          <<: [*a, *b]
          name: y
        inline:
          <<: {q: 1}
          r: 2
    """)
    model = d.roots[0].child("model")
    assert model is not None
    assert [(c.key, c.value) for c in model.children] == [
        ("model.lr", "1"), ("model.k", "1"), ("model.z", "3"), ("model.name", "y")]
    assert d.duplicates == []
    keys = [n.key for n in d.nodes]
    assert keys.count("inline") == 1 and "inline.q" in keys and "model.lr" not in keys


def test_several_documents() -> None:
    d = doc_of("a: 1\n---\nb: 2\n---\n")
    assert [n.key for n in d.nodes] == ["", "a", "", "b", ""]  # the last one is empty (null)
    assert [r.kind for r in d.roots] == ["mapping", "mapping", "scalar"]


@pytest.mark.parametrize(("text", "rule", "words", "line"), [
    ("a: [1, 2\n", "TC001", "invalid YAML", 2),
    ("a: b: c\n", "TC001", "invalid YAML: mapping values are not allowed", 1),
    ("a: *missing\n", "TC001", "invalid YAML: found undefined alias", 1),
    ("a: \x07\n", "TC001", "invalid YAML", None),
    ("[" * 2000 + "]" * 2000, "TC004", "excessive nesting", 1),
    ("a: &a [1, *a]\n", "TC004", "recursive alias", 1),
])
def test_problems(text: str, rule: str, words: str, line: int | None) -> None:
    d = build("config/x.yaml", "hydra", text)
    (p,) = d.problems
    assert (p.rule, p.line) == (rule, line)
    assert words in p.message
    assert d.nodes == [] and d.roots == []


def test_max_depth() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(12)) + "  " * 12 + "v\n"
    assert doc_of(text, max_depth=20).problems == []
    (p,) = doc_of(text, max_depth=5).problems
    assert (p.rule, p.line, p.column) == ("TC004", 7, 13)
    assert p.message == "excessive nesting: deeper than 5 levels (max_depth)"


def test_max_nodes_without_anchors() -> None:
    text = "".join(f"k{i}: {i}\n" for i in range(50))
    assert doc_of(text, max_nodes=51).problems == []
    (p,) = doc_of(text, max_nodes=20).problems
    assert p.message == "too many nodes: over the 20-node limit (max_nodes)"


def test_max_nodes_with_anchors() -> None:
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n" + "".join(f"k{i}: *a\n" for i in range(10))
    assert doc_of(text).problems == []
    (p,) = doc_of(text, max_nodes=50).problems
    assert p.message == "alias/anchor expansion bomb: 22 nodes expand to 122 (max_nodes)"


def test_an_ampersand_that_is_no_anchor_changes_nothing() -> None:
    d = doc_of("url: 'https://x/?a=1&b=2'\nlist: [a, b]\n")
    assert d.problems == []
    assert [n.key for n in d.nodes] == ["", "url", "list", "list[0]", "list[1]"]


def test_interpolations_are_read_only_in_hydra_config() -> None:
    hydra = doc_of("a: ${oc.env:X}\n")
    other = doc_of("a: ${oc.env:X}\n", ".github/workflows/ci.yml", kind="yaml")
    assert hydra.interpolation(by_key(hydra)["a"]).is_env_lookup
    i = other.interpolation(by_key(other)["a"])
    assert not i.is_interpolation and i.text == "${oc.env:X}"


# --- the quick walk (documents without anchors) against the full one --------------------------
def _shape(d: Document) -> list[tuple[object, ...]]:
    def row(n: Node) -> tuple[object, ...]:
        return (n.kind, n.key, n.full_key, n.name, n.line, n.column, n.key_line, n.key_column,
                n.value, n.tag, n.style, n.via_alias, n.anchor, [c.key for c in n.children])

    views = [[n.key for n in view()] for view in (d.scalars, d.strings, d.mappings)]
    return [*map(row, d.nodes), tuple(views), tuple((n.key, first) for n, first in d.duplicates),
            tuple(map(row, d.roots)), tuple(d.problems), tuple(d.defaults)]


QUICK = [
    SAMPLE,
    "defaults:\n  - model: x\n  - _self_\na: 1\na: 2\nb:\n  c: [1, {d: e}, [f]]\n",
    "# @package _global_\nx: {y: 'q', z: \"w\"}\n? [complex]\n: value\n",
    "---\na: 1\n---\n- b\n- c: d\n...\n",
    "a:\n  b:\n    c:\n      d: 1\n",  # deeper than a max_depth of 3
    "".join(f"k{i}: [{i}, x]\n" for i in range(30)),  # over a max_nodes of 40
    "merged:\n  <<: {a: 1, b: 2}\n  b: 3\n",  # an inline merge key: the full walk takes over
]


@pytest.mark.parametrize("text", QUICK)
def test_the_quick_walk_builds_what_the_full_walk_builds(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trackcheck.lint import document

    def full_walk(*args: object) -> Node:
        raise document._Shared

    for path in ("config/model/x.yaml", "top.yaml"):
        for kw in ({}, {"max_depth": 3}, {"max_nodes": 40}):
            quick = doc_of(text, path, **kw)
            with monkeypatch.context() as m:
                m.setattr(document, "_walk_plain", full_walk)
                full = doc_of(text, path, **kw)
            assert _shape(quick) == _shape(full)


def test_memoised_tags_are_pyyaml_tags() -> None:
    import yaml

    from trackcheck.lint.document import _Loader

    text = "".join(f"k{i}: {v}\n" for i, v in enumerate(
        ["1", "1.5", "true", "yes", "null", "~", "", "2024-01-01", "0x1f", ".inf", "'1'", '"true"',
         "abc", "1_000", "<<x", "=", "!!str 3", "|\n  block\n", "[1, a]", "{a: 1}"]))

    def tags(loader: type) -> list[object]:
        return [(k.tag, v.tag) if isinstance(v, yaml.ScalarNode) else k.tag
                for k, v in yaml.compose(text, Loader=loader).value]

    assert tags(_Loader) == tags(yaml.SafeLoader)
    assert tags(_Loader) == tags(yaml.SafeLoader)  # the second time from the memo


# --- cost linear in the file, memory within the parser's own --------------------------------
def test_merge_keys_are_expanded_once_per_node() -> None:
    def lines(n: int) -> int:
        text = "".join(f"k{i}: {{<<: {{x: 1}}, y: 2}}\n" for i in range(n))
        return lines_executed(lambda: build("config/m.yaml", "hydra", text))

    small, large = lines(300), lines(1200)  # the node list was rebuilt per merge key: 16x
    assert large < 5 * small


def test_long_keys_nested_deep_cost_each_node_a_bounded_path() -> None:
    long = "k" * 1000
    text = "".join(" " * d + f"{long}{d}:\n" for d in range(30)) \
        + "".join(" " * 30 + "- [a, b]\n" for _ in range(50))
    d = build("config/x.yaml", "hydra", text)
    assert len(d.nodes) == 1 + 30 + 50 * 3 and not d.problems
    assert max(len(n.key) for n in d.nodes) <= 256  # each node held 30 KB of path
    leaf = d.nodes[-1]
    assert leaf.key.startswith("k" * 64 + "…") and leaf.key.endswith("k" * 150 + "29[49][1]")
    assert leaf.full_key == leaf.key  # no package outside a config group


@pytest.mark.parametrize("text", [
    "".join(f"- {{a: {i}, b: x{i}}}\n" for i in range(3_000)),  # mappings in a list
    "".join(f"k{i}: [v{i}, {i}]\n" for i in range(3_000)),
])
def test_building_adds_little_to_the_composers_own_peak(text: str) -> None:
    import tracemalloc

    import yaml

    def peak(fn: Callable[[], object]) -> int:
        gc.collect()
        tracemalloc.start()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    composer = peak(lambda: list(yaml.compose_all(text, Loader=yaml.CSafeLoader)))
    document = peak(lambda: build("config/x.yaml", "hydra", text))
    # the composer's tree is let go of as the document grows: never both whole at once
    assert document < 1.25 * composer


@pytest.mark.parametrize("text", [
    "a:\n  b: [1, [2, 3]]\n  c: {d: x}\n",  # the quick walk
    "a: &x\n  b: 1\nc: *x\nd:\n  <<: *x\n",  # the walk of shared nodes
])
def test_a_document_is_freed_by_reference_counting(text: str) -> None:
    """No reference cycle holds a document once it is dropped: each file's nodes are freed as
    the next one starts, not when the cyclic collector runs (which then scans them all)."""
    gc.collect()
    gc.disable()
    try:
        doc = build("config/model/x.yaml", "hydra", text)
        assert len(doc.nodes) >= 4
        del doc
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, Node)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == [], {type(o).__name__ for o in left}


def test_list_items_know_the_key_their_list_sits_under() -> None:
    doc = build("config/x.yaml", "hydra", "api_keys: [a, [b]]\nx:\n  - {k: c}\n")
    owners = {n.key: n.owner for n in doc.nodes if n.kind == "scalar"}
    assert owners == {"api_keys[0]": "api_keys", "api_keys[1][0]": "api_keys", "x[0].k": ""}


def test_names_are_every_key_name_and_follow_nodes_added_later() -> None:
    doc = build("config/x.yaml", "hydra", "db:\n  password: x\napi_keys: [a, b]\n")
    assert doc.names() == {"db", "password", "api_keys"}  # the root mapping is judged by none
    doc.nodes.append(Node("scalar", "token", "token", "token", 9, 1))
    assert "token" in doc.names()


@pytest.mark.parametrize(("text", "names"), [
    ("just a scalar\n", {""}),  # a scalar judged by no name
    ("- a\n- [b]\n", {""}),  # the items of top-level lists
    ("- {k: v}\n- [{j: w}]\n", {"k", "j"}),  # mappings in them: their keys
    ("a: [[x]]\n", {"a"}),  # nested items are judged by the outer list's name
])
def test_the_empty_name_stands_only_for_a_scalar_without_one(text: str, names: set[str]) -> None:
    assert build("config/x.yaml", "hydra", text).names() == names


def test_a_memo_answers_any_of_a_documents_names_deciding_each_name_once() -> None:
    asked: list[str] = []

    def decide(name: str) -> bool:
        asked.append(name)
        return name.endswith("uri")

    memo = Memo(decide)
    assert not memo.any_of(frozenset({"a", "b"}))
    assert memo.any_of(frozenset({"b", "tracking_uri"}))
    assert memo.any_of(frozenset({"tracking_uri"})) and not memo.any_of(frozenset({"a"}))
    assert not memo.any_of(frozenset())
    assert sorted(asked) == ["a", "b", "tracking_uri"]
    assert memo == {"a": False, "b": False, "tracking_uri": True}


def test_a_document_may_hold_a_literal_its_text_shows_or_an_escape_can_write() -> None:
    plain = build("config/x.yaml", "hydra", "uri: models:/m@prod\n")
    assert plain.may_hold(":/") and not plain.may_hold("oc.env")
    escaped = build("config/x.yaml", "hydra", 'uri: "models:\\x2fm@prod"\n')
    assert escaped.nodes[1].value == "models:/m@prod" and escaped.may_hold(":/")
    folded = build("config/x.yaml", "hydra", "uri: >\n  models:\n  /m\n")
    assert folded.nodes[1].value == "models: /m\n"  # folding joins with a space: no ":/"

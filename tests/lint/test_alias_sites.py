"""The alias sites TC130, TC132 and TC134 share: found once per document and policy."""

from __future__ import annotations

from pathlib import Path

from trackcheck.lint.aliases import alias_sites
from trackcheck.lint.context import LintContext
from trackcheck.lint.document import Document, Node, build
from trackcheck.policy import load_policy

TEXT = """\
tracking:
  alias: champion
deploy:
  model_uri: models:/churn@prod
"""


def _aliases(doc: Document, ctx: LintContext) -> list[str]:
    return [s.alias for s in alias_sites(doc, ctx)]


def test_the_sites_are_found_once_per_document() -> None:
    doc, ctx = build("config/x.yaml", "hydra", TEXT), LintContext(load_policy("default")[0])
    first = list(alias_sites(doc, ctx))
    assert [s.alias for s in first] == ["prod"]
    assert all(a is b for a, b in zip(first, alias_sites(doc, ctx), strict=True))
    other = build("config/y.yaml", "hydra", "deploy:\n  model_uri: models:/m@staging\n")
    assert _aliases(other, ctx) == ["staging"] and _aliases(doc, ctx) == ["prod"]


def test_another_policy_or_added_nodes_find_them_again(tmp_path: Path) -> None:
    doc, default = build("config/x.yaml", "hydra", TEXT), load_policy("default")[0]
    assert _aliases(doc, LintContext(default)) == ["prod"]
    (tmp_path / "p.yaml").write_text("mlflow:\n  group: tracking\n", "utf-8")
    tracking = LintContext(load_policy(tmp_path / "p.yaml")[0])
    assert _aliases(doc, tracking) == ["champion", "prod"]
    doc.nodes.append(Node("scalar", "note", "note", "note", 5, 1, value="models:/m@dev"))
    assert _aliases(doc, tracking) == ["champion", "prod", "dev"]
    assert _aliases(doc, LintContext(default)) == ["prod", "dev"]


def test_a_file_is_read_only_where_a_site_can_be() -> None:
    ctx = LintContext(load_policy("default")[0])
    # no URI, intent or alias key: nothing; each kind of site is still found on its own
    assert _aliases(build("config/x.yaml", "hydra", "deploy:\n  replicas: 3\n"), ctx) == []
    assert _aliases(build("config/x.yaml", "hydra", "deploy:\n  alias: prod\n"), ctx) == ["prod"]
    assert _aliases(build("config/x.yaml", "hydra", "lifecycle_intent: dev\n"), ctx) == ["dev"]
    # a URI whose ``/`` is an escape is one once read: the text alone does not show it
    escaped = build("config/x.yaml", "hydra", 'note: "serve models:\\/m@prod"\n')
    assert escaped.nodes[1].value == "serve models:/m@prod"
    assert _aliases(escaped, ctx) == ["prod"]
    # in document order, whichever way the file was read
    mixed = "a: models:/m@one\ndeploy:\n  alias: two\nb: models:/m@three\n"
    assert _aliases(build("config/x.yaml", "hydra", mixed), ctx) == ["one", "two", "three"]

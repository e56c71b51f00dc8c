"""What every static rule needs from the policy, precomputed once per run, and the Hit builder."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from trackcheck.lint.document import Document, Node
from trackcheck.lint.interpolation import analyse
from trackcheck.policy import Policy
from trackcheck.rule import Hit


class LintContext:
    def __init__(self, policy: Policy):
        self.policy = policy

    def secret_key(self, name: str) -> bool:
        return self.policy.is_secret_key(name)

    def uri_key(self, name: str) -> bool:
        return name in self.policy.uri_keys

    def token(self, value: str) -> tuple[str, str] | None:
        return self.policy.find_token(value)

    def is_training_file(self, path: str) -> bool:
        return any(fnmatch.fnmatch(path, pat) for pat in self.policy.training_paths)

    def run_tag_block(self, node: Node) -> bool:
        """A mapping that holds run tags (``mlflow.tags`` by default, package-qualified)."""
        return node.kind == "mapping" and any(
            node.full_key == b or node.full_key.endswith("." + b)
            for b in self.policy.run_tags.blocks
        )

    def mlflow_blocks(self, doc: Document) -> Iterator[Node]:
        """Mappings of the mlflow config group in Hydra config: the root of a
        ``config/mlflow/*.yaml`` option (package ``mlflow``) and any ``mlflow:`` block elsewhere."""
        if not doc.hydra:
            return
        g = self.policy.mlflow.group
        for n in doc.mappings():
            if n.full_key == g or n.full_key.endswith("." + g):
                yield n

    def naming_mismatches(self, doc: Document, key: str, allowed: list[str]) -> Iterator[Node]:
        """The ``key`` values of the mlflow blocks that are not written as one of ``allowed``
        (a naming convention; none configured, nothing to check). A missing key, a wrong type
        (TC150), an unset value and ``???`` (set at launch) are left alone."""
        if not allowed:
            return
        for block in self.mlflow_blocks(doc):
            node = block.child(key)
            if node is None or node.kind != "scalar" or node.is_empty:
                continue
            if node.value.strip() != "???" and not self.written_as(doc, node, allowed):
                yield node

    @staticmethod
    def written_as(doc: Document, node: Node, allowed: list[str]) -> bool:
        """The string is one of ``allowed`` as written (naming conventions compare text, never
        resolve); ``${ project.name }`` and ``${project.name}`` are the same reference."""
        value = node.value.strip()
        if value in allowed:
            return True
        if not (doc.hydra and node.is_string and "${" in value):
            return False
        i = doc.interpolation(node)
        refs = {analyse(a).refs[0].strip() for a in allowed if analyse(a).is_pure_ref}
        return i.error is None and i.is_pure_ref and i.refs[0].strip() in refs

    @staticmethod
    def placeholder(doc: Document, node: Node) -> bool:
        """null, empty, ``???`` (Hydra's mandatory value), an env lookup without default,
        or a pure reference to another key: values that hold nothing themselves."""
        if node.kind != "scalar":
            return False
        if node.is_empty or (node.is_string and node.value.strip() in ("???", "")):
            return True
        if doc.hydra and node.is_string:
            i = doc.interpolation(node)
            if i.error is None and (i.is_pure_ref or (i.is_env_lookup and not i.env_defaults())):
                return True
        return False

    @staticmethod
    def outside_env_defaults(doc: Document, node: Node) -> str:
        """The value with the literal defaults of its env lookups blanked out: TC104 owns those,
        so the other secret rules (TC103, TC110, TC111) look only at the rest."""
        value = node.value
        if doc.hydra and node.is_string and "oc.env" in value:
            for d in doc.interpolation(node).env_defaults():
                if d:
                    value = value.replace(d, " ")
        return value

    @staticmethod
    def hit(
        doc: Document,
        node: Node,
        message: str,
        value: str | None = None,
        *,
        secret: bool = False,
        at_key: bool = False,
    ) -> Hit:
        line, col = (
            (node.key_line, node.key_column)
            if at_key and node.key_line
            else (node.line, node.column)
        )
        return Hit(
            message=message,
            path=doc.path,
            key=node.key,
            line=line,
            column=col,
            value=value if value is not None else (node.value if node.is_scalar else None),
            secret=secret,
        )

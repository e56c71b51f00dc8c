"""What every static rule needs from the policy, precomputed once per run, and the Hit builder."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import chain

from trackcheck.detect.keys import is_secret_list_key, is_uri_key, uri_key_ends
from trackcheck.detect.tokens import KNOWN_TOKENS, TOKEN_HINT
from trackcheck.lint.document import MEMO_MAX, Document, Memo, Node
from trackcheck.lint.interpolation import Interpolation, analyse
from trackcheck.policy import Policy
from trackcheck.rule import Hit

# a compose ``environment:`` list item: ``KEY=value`` (``KEY`` alone passes the host's value on)
_ENV_ITEM = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)=(?P<value>.*)", re.S)
_ENV_LISTS = frozenset({"env", "environment"})
# a plain ``${oc.env:VAR}`` / ``${oc.env:VAR,default}`` (no nesting): bounded, linear
_ENV_CALL = re.compile(r"\$\{\s*oc\.env\s*:([^{}$]*)\}")


def _joined_as_resolved(m: re.Match[str]) -> str:
    """A lookup without a default stays as written (its value is the environment's); an empty
    default joins the text around it; any other default is blanked (TC104 reads those)."""
    args = m.group(1).split(",", 1)
    if len(args) == 1:
        return m.group(0)
    return "" if args[1].strip().strip("'\"") == "" else " "


# one search for "any built-in token format here?": most values hold none, and then the formats
# need not be tried one by one (an alternation matches wherever one of its branches does);
# compiled when a value first holds a hint of one (``TOKEN_HINT``), not in every start-up (~2 ms)
@lru_cache(maxsize=1)
def _any_token() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{rx.pattern})" for _, rx in KNOWN_TOKENS))


def deploy_shape(doc: Document) -> bool:
    """YAML shaped like a deploy file in any of its documents: a GitHub Actions workflow (``on`` +
    ``jobs``) or action (``runs.using``), a Kubernetes manifest (``apiVersion`` + ``kind``), a
    compose file (``services`` whose entries have an ``image`` or a ``build``, or beside compose's
    other top-level keys); their ``${{ }}``/``${VAR}`` are not OmegaConf's."""
    for root in doc.roots:
        if root.kind != "mapping":
            continue
        keys = {c.name for c in root.children}
        runs, services = root.child("runs"), root.child("services")
        if (("jobs" in keys and bool(keys & {"on", "true", "True"}))
                or (runs is not None and runs.child("using") is not None)
                or {"apiVersion", "kind"} <= keys):
            return True
        if services is not None and (
            keys == {"services"}
            or bool(keys & {"version", "volumes", "networks", "name", "secrets", "configs"})
            or (services.kind == "mapping" and bool(services.children) and all(
                s.kind == "mapping" and (s.child("image") or s.child("build")) is not None
                for s in services.children))
        ):
            return True
    return False


def _outside_env_defaults(value: str, interp: Interpolation) -> str:
    if interp.error is not None:
        return value  # not parsed: TC104 cannot read its defaults, so all stays
    # each lookup as OmegaConf joins it with the text around it: an empty default adds nothing
    # (``ghp_ab${oc.env:X,}cd`` resolves to one token), any other stands apart
    value = _ENV_CALL.sub(_joined_as_resolved, value)
    if "oc.env" in value:  # nested or quoted forms: blank the defaults where they stand
        for d in interp.env_defaults():
            if d:
                value = value.replace(f",{d}}}", ", }").replace(f",'{d}'}}", ", }") \
                    .replace(f',"{d}"}}', ", }")
    return value


class LintContext:
    def __init__(self, policy: Policy):
        self.policy = policy
        self._uri_keys = tuple(policy.uri_keys)
        self._uri_depth = max((k.count(".") + 1 for k in self._uri_keys), default=1)
        self._uri_memo: dict[str, bool] = {}
        # the secret questions per key name, for the run (rules' loops index them directly):
        # a secret-like key, and whether an item of a list under a key is a secret (a
        # secret-like key, ``passwords``, or a list of secrets, ``api_keys``)
        self.secret_names = Memo(policy.is_secret_key)
        self.secret_items = Memo(lambda owner: self.secret_names[owner] or self._list_memo[owner])
        self._token_memo: dict[str, tuple[str, str] | None] = {}
        self._outside: dict[str, str] = {}  # a value -> outside_env_defaults
        self._extra_tokens = bool(policy.token_patterns)
        self._secret_sets = (frozenset(w.lower() for w in policy.secret_key_words),
                             frozenset(policy.secret_key_names), frozenset(policy.not_secret_keys))
        self._list_memo = Memo(lambda name: is_secret_list_key(name, *self._secret_sets))
        self._env: tuple[Document, list[Node]] | None = None
        self._block_lists: tuple[Document, int, tuple[list[Node], list[Node]]] | None = None
        self._memos: dict[str, Memo] = {}
        blocks = policy.run_tags.blocks
        self._tag_blocks = (frozenset(blocks), tuple("." + b for b in blocks))

    def memo(self, question: str, decide: Callable[[str], bool]) -> Memo:
        """``decide`` memoised for the run (one policy) under ``question``: a rule asks
        ``memo[name]`` per node, a tree repeats its key names file after file."""
        found = self._memos.get(question)
        if found is None:
            found = self._memos[question] = Memo(decide)
        return found

    def secret_key(self, name: str) -> bool:
        """A key named like a secret (the policy's test, asked once per name)."""
        return self.secret_names[name]

    def secret_list_key(self, name: str) -> bool:
        """A key whose list items are each a secret (``passwords``, ``api_keys``, ``tokens``)."""
        return self._list_memo[name]

    def uri_name(self, name: str) -> bool:
        """False when a key named ``name`` cannot be a tracking URI key, whatever its parents:
        its path must end in an entry's last word (``uri``, ``url``). Asked per name (a
        :meth:`memo`), it spares :meth:`uri_key` the key path of almost every node."""
        ends = uri_key_ends(self._uri_keys)
        low = name.lower()
        return ends is None or not name or "[" in name or name.endswith(".") or any(
            low.endswith(e) or len(low) < len(e) for e in ends)

    def uri_key(self, path: str) -> bool:
        """A key path (or a bare key, an env variable) that ends in a tracking/registry URI key
        of the policy's ``uri_keys``, by words: ``logger.mlflow.tracking_uri``, ``mlflow.uri``,
        ``MLFLOW_TRACKING_URI``, ``tracking-uri``; not ``artifact_uri``."""
        # only the last segments can match (as many as the longest entry has): a tree's key
        # paths are all different, their tails repeat
        end = len(path)
        for _ in range(self._uri_depth):  # the last segments: one slice, no split and join
            end = path.rfind(".", 0, end)
            if end < 0:
                break
        tail = path[end + 1:]
        found = self._uri_memo.get(tail)
        if found is None:
            found = is_uri_key(tail, self._uri_keys)
            if len(self._uri_memo) < MEMO_MAX:
                self._uri_memo[tail] = found
        return found

    def deploy_file(self, doc: Document) -> bool:
        """A compose file, Kubernetes manifest or CI workflow: YAML outside Hydra config that the
        policy's ``deploy_files`` globs name, or that is shaped like one (:func:`deploy_shape`).
        It gives containers their environment and runs the server: TC101 and TC102 keep out."""
        if doc.kind != "yaml":
            return False
        return any(fnmatch.fnmatch(doc.path, g) for g in self.policy.deploy_files) or \
            deploy_shape(doc)

    def env_entries(self, doc: Document) -> list[Node]:
        """The variables an ``env:``/``environment:`` list gives a container, each as a scalar
        named by its variable and placed at its value: compose ``- KEY=value`` items and
        Kubernetes (or ECS) ``{name: KEY, value: ...}`` entries, key path ``….environment.KEY``.
        (The mapping form ``KEY: value`` is a node of the document already; ``valueFrom`` and a
        bare ``- KEY`` hold no value.)"""
        if self._env is not None and self._env[0] is doc:
            return self._env[1]
        found: list[Node] = []
        lines: list[str] | None = None  # split only for a document with an environment list
        env_list = self.memo("environment list", lambda name: name.lower() in _ENV_LISTS)
        for lst in doc._by_kind()["list"] if env_list.any_of(doc.names()) else ():
            if lst.name.lower() not in _ENV_LISTS:
                continue
            if lines is None:
                lines = doc.text.split("\n") if doc.text else []
            for item in lst.children:
                entry = _env_entry(lst, item, lines)
                if entry is not None:
                    found.append(entry)
        self._env = (doc, found)
        return found

    def keyed_scalars(self, doc: Document) -> Iterator[Node]:
        """Every scalar a rule judges by the key it sits under: the document's own, aliases where
        they are used (``password: *pw``) and environment entries (:meth:`env_entries`)."""
        return chain(doc.scalars(), doc.alias_uses, self.env_entries(doc))

    def token(self, value: str) -> tuple[str, str] | None:
        if len(value) < 16:
            return None  # find_token's own floor
        memo = self._token_memo  # values repeat across a tree's files (``${oc.env:X}``)
        if value in memo:
            return memo[value]
        if not self._extra_tokens and (TOKEN_HINT.search(value) is None
                                       or _any_token().search(value) is None):
            found = None  # no built-in format anywhere in the value
        else:
            found = self.policy.find_token(value)
        if len(memo) < MEMO_MAX and len(value) <= 512:  # short values repeat; long ones
            memo[value] = found                              # would only hold memory
        return found

    def is_training_file(self, path: str) -> bool:
        """A file of training config: under the policy's ``training_paths``, or, when it names
        none, under any config root (found by discovery)."""
        if not self.policy.training_paths:
            return self.policy.root_of(path) is not None
        return any(fnmatch.fnmatch(path, pat) for pat in self.policy.training_paths)

    def mlflow_blocks(self, doc: Document) -> Iterator[Node]:
        """Mappings of the mlflow config group in Hydra config: the root of a
        ``config/mlflow/*.yaml`` option (package ``mlflow``) and any ``mlflow:`` block elsewhere."""
        return iter(self._blocks(doc)[0])

    def tag_blocks(self, doc: Document) -> Iterator[Node]:
        """Every mapping of a Hydra config that holds run tags (policy ``run_tags.blocks``)."""
        return iter(self._blocks(doc)[1])

    def _blocks(self, doc: Document) -> tuple[list[Node], list[Node]]:
        # seven rules read these: the mappings are looked through once per document
        cached = self._block_lists
        if cached is not None and cached[0] is doc and cached[1] == len(doc.nodes):
            return cached[2]
        found: tuple[list[Node], list[Node]] = ([], [])
        if doc.hydra:
            g = self.policy.mlflow.group
            dot_g = "." + g
            names, ends = self._tag_blocks
            mappings = doc._by_kind()["mapping"]
            found = ([n for n in mappings if n.full_key == g or n.full_key.endswith(dot_g)],
                     [n for n in mappings if n.full_key in names or n.full_key.endswith(ends)])
        self._block_lists = (doc, len(doc.nodes), found)
        return found

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

    def outside_env_defaults(self, doc: Document, node: Node) -> str:
        """The value with the literal defaults of its env lookups blanked out: TC104 owns those,
        so the other secret rules (TC103, TC110, TC111) look only at the rest. A value that does
        not parse (TC002) is left whole: no rule reads its defaults, so theirs must. (Remembered
        per value for the run: three rules ask, and a tree repeats its lookups.)"""
        value = node.value
        if not (doc.hydra and node.is_string and "oc.env" in value):
            return value
        found = self._outside.get(value)
        if found is None:
            found = _outside_env_defaults(value, doc.interpolation(node))
            if len(self._outside) < MEMO_MAX and len(value) <= 512:
                self._outside[value] = found
        return found

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


def _env_entry(lst: Node, item: Node, lines: list[str]) -> Node | None:
    """One environment entry of a list as a scalar named by its variable, or None."""
    if item.is_string:
        m = _ENV_ITEM.fullmatch(item.value)
        if m is None:
            return None
        name, value, line, column = m["name"], m["value"], item.line, item.column
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        at = text.find(name + "=", column - 1)
        if at >= 0 and "\n" not in item.value:  # where the value stands, quoted items included
            column = at + len(name) + 2
        return Node("scalar", f"{lst.key}.{name}", f"{lst.full_key}.{name}", name, line, column,
                    item.line, item.column, value, "str", item.style)
    if item.kind == "mapping":
        var, val = item.child("name"), item.child("value")
        if var is None or val is None or not var.is_string or not val.is_scalar or not var.value:
            return None
        return Node("scalar", f"{lst.key}.{var.value}", f"{lst.full_key}.{var.value}", var.value,
                    val.line, val.column, var.line, var.column, val.value, val.tag, val.style)
    return None

"""The policy: a team's conventions as frozen dataclasses, validated by pydantic when read from a
file; its discovery, ``extends``, errors, and a cache of the files already validated."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import pkgutil
import re
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml

from trackcheck import __version__, codes
from trackcheck.codes import unknown_code
from trackcheck.detect.keys import is_secret_key
from trackcheck.detect.tokens import find_token
from trackcheck.findings import Severity

if TYPE_CHECKING:
    from pydantic import ValidationError

DEFAULT_POLICY_PATH = Path("policies") / "trackcheck.yaml"
BUILTIN_NAMES = ("default", "strict")
# where Hydra config lives when neither the policy nor the code says (SPEC: found, not assumed)
CONVENTIONAL_ROOTS = ("config", "configs", "conf")


class PolicyError(Exception):
    """An invalid or unreadable policy file; the CLI turns it into exit 2."""


class _Section:
    # pydantic's configuration of every section: an unknown key is an error. A plain dict, so
    # defining the schema imports nothing of pydantic: a run whose policy needs no validation
    # (the built-in one, a file validated before) never loads it (~0.1 s of start-up)
    __pydantic_config__ = {"extra": "forbid"}

    # equality and repr by fields, written once here rather than generated per section
    # (dataclasses compile each generated method: a third of defining the schema at start-up)
    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name)
                   for f in dataclasses.fields(self))  # type: ignore[arg-type]

    __hash__ = None  # type: ignore[assignment]  # equal by value, and values hold lists

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}"
                           for f in dataclasses.fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{type(self).__qualname__}({fields})"


class _Check:
    """``Annotated`` metadata that pydantic applies when it validates a policy file: bounds
    (``gt``, ``le``, ``min_length``, as ``Field`` sets them) and a check that raises ValueError.
    pydantic finds it by its hook; nothing else reads it."""

    __slots__ = ("after", "bounds")

    def __init__(self, after: Callable[[Any], Any] | None = None, **bounds: Any) -> None:
        self.after, self.bounds = after, bounds

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = {**handler(source), **self.bounds}
        if self.after is None:
            return schema
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.after, schema)


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class AliasPolicy(_Section):
    allowed: list[str] = field(default_factory=list)
    exclusive: list[list[str]] = field(default_factory=list)
    training_may_declare: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)
    stage_to_alias: dict[str, str] = field(default_factory=dict)
    case_sensitive: bool = True
    # aliases that mark a version as retired: never deployed (TC210)
    retired: list[str] = field(default_factory=list)


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class RunTagPolicy(_Section):
    required: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    # allowed values per tag key; a list of strings, or the word "bool"
    values: dict[str, list[str] | Literal["bool"]] = field(default_factory=dict)
    # mapping keys that hold run tags (e.g. ``mlflow.tags``)
    blocks: list[str] = field(default_factory=list)


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class NamingPolicy(_Section):
    experiment_name: list[str] = field(default_factory=list)
    run_name: list[str] = field(default_factory=list)


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class MlflowSchema(_Section):
    group: str = "mlflow"
    keys: dict[str, str] = field(default_factory=dict)
    register_keys: dict[str, str] = field(default_factory=dict)
    strict_schema: bool = False


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class LineagePolicy(_Section):
    required_for: list[str] = field(default_factory=list)
    git_commit_tags: list[str] = field(default_factory=list)
    require_dataset_digest: bool = True


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class Entrypoint(_Section):
    """A training entrypoint that ``lint --compose`` composes with Hydra: a primary config, the
    override sets it is launched with, and the groups whose every option is composed in turn."""

    config: Annotated[str, _Check(min_length=1)]  # primary config name in the config dir
    config_dir: str | None = None  # default: the first config root
    overrides: list[list[str]] = field(default_factory=lambda: [[]])  # ``[[], [experiment=foo]]``
    # groups whose every option is composed on top of each override set; ``all``: every group
    sweep: list[str] | Literal["all"] = "all"


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class AuditLimits(_Section):
    """Budgets of one registry audit; reaching one ends it in exit 3 (never a partial pass)."""

    max_pages: Annotated[int, _Check(gt=0, le=1_000_000)] = 10_000  # search pages, in all
    max_objects: Annotated[int, _Check(gt=0, le=100_000_000)] = 2_000_000  # models, versions, runs
    # one response body, decompressed
    max_response_bytes: Annotated[int, _Check(gt=0, le=1_000_000_000)] = 64_000_000


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class RuleSetting(_Section):
    enabled: bool = True
    severity: Severity | None = None


def _token_regex(v: str) -> str:
    if len(v) > 1000:
        raise ValueError("a token pattern longer than 1000 characters")
    try:
        linear_regex(v)
    except ValueError as e:
        raise ValueError(f"not a valid regular expression for RE2 ({e}); trackcheck runs a "
                         "policy's patterns in linear time: no backreferences or "
                         "lookaround") from None
    return v


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class TokenPattern(_Section):
    name: str
    regex: Annotated[str, _Check(_token_regex)]


def linear_regex(pattern: str) -> Any:
    """A policy's pattern compiled with RE2 (``google-re2``), which runs in time linear in its
    input whatever the pattern: a committed policy from any branch cannot make a run hang with
    ``(a+)+$``. Raises ValueError with RE2's reason."""
    import re2  # imported only for a policy that has patterns of its own

    options = re2.Options()
    options.log_errors = False  # RE2 would print the pattern on stderr itself
    try:
        return re2.compile(pattern, options)
    except re2.error as e:
        reason = e.args[0] if e.args else str(e)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(str(reason)) from None


def _code(value: str, prefix: bool = False) -> str:
    if value != value.strip().upper():  # rules compare codes exactly: 'tc101' would match nothing
        raise ValueError(f"'{value}' is not a rule code (write it as {value.strip().upper()})")
    why = unknown_code(value, prefix=prefix)
    if why:
        raise ValueError(why)
    return value


def _prefix(value: str) -> str:
    return _code(value, prefix=True)


RuleCode = Annotated[str, _Check(_code)]
RulePrefix = Annotated[str, _Check(_prefix)]


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class GuardPolicy(_Section):
    """The write-time guard (``mlflow server --app-name trackcheck``): how each verdict is
    applied, and the rules that exist only at write time (TC301-TC303)."""

    # enforce: refuse a write that would introduce a finding; observe: allow it and record it
    mode: Literal["enforce", "observe"] = "enforce"
    # per-rule mode (``TC205: observe``); a code or prefix of any rule the guard runs
    rules: dict[RulePrefix, Literal["enforce", "observe"]] = field(default_factory=dict)
    # TC301: an alias may only be set on a version that has held one of these aliases first
    promotion: dict[str, list[str]] = field(default_factory=dict)
    # TC302: who may set or delete an alias (user names); an alias not listed is open to all
    protected_aliases: dict[str, list[str]] = field(default_factory=dict)
    # the request header naming the actor when MLflow's basic-auth is not in front; it must be
    # set by a proxy that authenticates (a client could send any name). None: actors unknown
    actor_header: str | None = None
    # seconds a write waits for another write to the same model before it is refused
    lock_timeout: Annotated[float, _Check(gt=0, le=300)] = 10.0

    def mode_of(self, code: str) -> str:
        """``enforce`` or ``observe`` for one rule: the longest matching prefix wins."""
        hits = [(len(p), m) for p, m in self.rules.items() if code.startswith(p)]
        return max(hits)[1] if hits else self.mode


def _one_root(data: Any) -> Any:
    """The 0.1 name ``config_root`` (one root) folded into ``config_roots`` as a one-item list."""
    if isinstance(data, dict) and data.get("config_root") is not None:
        if data.get("config_roots"):
            raise ValueError("give 'config_roots' (a list) only; 'config_root' is its old "
                             "one-item form")
        data = {**data, "config_roots": [data["config_root"]], "config_root": None}
    return data


@dataclass(frozen=True, eq=False, repr=False)  # see _Section
class Policy(_Section):
    extends: str | None = None
    # Hydra config roots (relative paths); empty: found by discovery (``trackcheck.lint.roots``)
    config_roots: list[str] = field(default_factory=list)
    # the 0.1 name: one root; folded into ``config_roots`` as a one-item list
    config_root: str | None = None
    aliases: AliasPolicy = field(default_factory=AliasPolicy)
    run_tags: RunTagPolicy = field(default_factory=RunTagPolicy)
    uri_keys: list[str] = field(default_factory=list)
    deploy_files: list[str] = field(default_factory=list)
    server_keys: list[str] = field(default_factory=list)
    secret_key_words: list[str] = field(default_factory=list)
    secret_key_names: list[str] = field(default_factory=list)
    not_secret_keys: list[str] = field(default_factory=list)
    token_patterns: list[TokenPattern] = field(default_factory=list)
    naming: NamingPolicy = field(default_factory=NamingPolicy)
    mlflow: MlflowSchema = field(default_factory=MlflowSchema)
    lineage: LineagePolicy = field(default_factory=LineagePolicy)
    promotable_envs: list[str] | None = None
    training_paths: list[str] = field(default_factory=list)
    training_code_paths: list[str] = field(default_factory=list)
    secret_files: list[str] = field(default_factory=list)
    non_hydra_yaml: list[str] = field(default_factory=list)
    entrypoints: list[Entrypoint] = field(default_factory=list)
    # a misspelt code would silently switch nothing off: unknown codes are errors
    rules: dict[RuleCode, RuleSetting] = field(default_factory=dict)
    per_path_ignores: dict[str, list[RulePrefix]] = field(default_factory=dict)
    # bounds a policy cannot lift past what one process can afford (1 GB files would be read
    # whole; nesting deeper than the interpreter's recursion limit would crash the walk)
    max_file_bytes: Annotated[int, _Check(gt=0, le=200_000_000)] = 5_000_000
    max_depth: Annotated[int, _Check(gt=0, le=500)] = 100
    max_nodes: Annotated[int, _Check(gt=0, le=50_000_000)] = 1_000_000
    guard: GuardPolicy = field(default_factory=GuardPolicy)
    audit: AuditLimits = field(default_factory=AuditLimits)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """pydantic's hook: ``config_root`` is folded in before the fields are validated."""
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(_one_root, handler(source))

    # --- config roots ---------------------------------------------------------------
    def root_of(self, rel: str) -> str | None:
        """The config root that holds ``rel`` (POSIX, relative to the working directory): the
        innermost one, or None. A root of ``.`` holds every relative path. Without roots (a
        policy not yet through discovery), the conventional names stand in."""
        best: str | None = None
        for root in self.config_roots or CONVENTIONAL_ROOTS:
            r = root.strip("/")
            if r in ("", ".") or rel.startswith(r + "/"):
                if best is None or len(r) > len(best.strip("/")):
                    best = root
        return best

    @property
    def first_root(self) -> str:
        """Where entrypoints are composed from by default: the first config root."""
        return self.config_roots[0] if self.config_roots else CONVENTIONAL_ROOTS[0]

    # --- predicates -----------------------------------------------------------------
    def rule_enabled(self, code: str) -> bool:
        s = self.rules.get(code)
        return s.enabled if s else True

    def rule_severity(self, code: str, default: Severity) -> Severity:
        s = self.rules.get(code)
        return s.severity if s and s.severity else default

    def ignored_for_path(self, code: str, path: str) -> bool:
        return any(code.startswith(c) for c in self._ignored_prefixes(path))

    @cached_property
    def _ignore_memo(self) -> dict[str, tuple[str, ...]]:
        return {}

    def _ignored_prefixes(self, path: str) -> tuple[str, ...]:
        """The code prefixes ``per_path_ignores`` gives a path: asked once per rule and finding,
        the globs are matched once per path."""
        memo = self._ignore_memo
        found = memo.get(path)
        if found is None:
            found = tuple(c for pattern, codes in self.per_path_ignores.items()
                          if fnmatch.fnmatch(path, pattern) for c in codes)
            if len(memo) < 100_000:
                memo[path] = found
        return found

    @cached_property
    def _token_res(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(t.name, linear_regex(t.regex)) for t in self.token_patterns]

    def extra_token_patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        return self._token_res

    # the secret classifiers both engines use (TC110/TC111 in lint, TC208 in audit)
    @cached_property
    def _secret_sets(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        return (frozenset(w.lower() for w in self.secret_key_words),
                frozenset(self.secret_key_names), frozenset(self.not_secret_keys))

    @cached_property
    def _secret_key_memo(self) -> dict[str, bool]:
        return {}

    def is_secret_key(self, name: str) -> bool:
        """A key named like a secret (``db_password``, ``HF_TOKEN``; not ``max_tokens``)."""
        memo = self._secret_key_memo  # config trees repeat their key names: decide each once
        found = memo.get(name)
        if found is None:
            found = bool(name) and is_secret_key(name, *self._secret_sets)
            if len(memo) < 100_000:
                memo[name] = found
        return found

    def find_token(self, value: str) -> tuple[str, str] | None:
        """The first known credential format in the value (built-in or ``token_patterns``):
        (format name, matched text), or None."""
        return find_token(value, self._token_res)

    def run_tag_value_ok(self, key: str, value: object) -> bool:
        """Whether a run-tag value is allowed by ``run_tags.values`` (keys without a rule pass).
        ``bool`` accepts true/false in any case, as MLflow stores ``str(True)``."""
        rule = self.run_tags.values.get(key)
        if rule is None:
            return True
        if rule == "bool":
            return isinstance(value, bool) or str(value).strip().lower() in ("true", "false")
        return str(value) in rule

    def alias_allowed(self, alias: str) -> bool:
        if self.aliases.case_sensitive:
            return alias in self.aliases.allowed
        return alias.lower() in {a.lower() for a in self.aliases.allowed}


# --- loading -------------------------------------------------------------------------
class _PolicyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loading that refuses duplicate keys: which of two settings wins must not be a guess."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key '{key.value}'", key.start_mark)
                seen.add(key.value)
        return super().construct_mapping(node, deep)


def _read_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_PolicyLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise PolicyError(f"{origin}{where}: not valid YAML ({e.problem})") from None
    except yaml.YAMLError as e:
        raise PolicyError(f"{origin}: not valid YAML ({type(e).__name__})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolicyError(f"{origin}: a policy file must be a mapping, not {type(data).__name__}")
    return data


def _builtin_text(name: str) -> str:
    # pkgutil reads package data through the package's loader (a wheel, a zip) as
    # importlib.resources does, without importing tempfile and zipfile at every start-up
    data = pkgutil.get_data("trackcheck.policies", f"{name}.yaml")
    if data is None:  # a loader that cannot read package data: a broken install
        raise PolicyError(f"<built-in {name}>: cannot read the packaged policy")
    return data.decode("utf-8")


# --- validation: pydantic, imported only when a policy file must be validated -----------------
def validate_policy(data: Any) -> Policy:
    """A mapping (a policy file as read) validated into a Policy by pydantic, imported on first
    use; raises pydantic's ValidationError."""
    return typing.cast(Policy, _adapter().validate_python(data))


@lru_cache(maxsize=1)
def _adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(Policy)


def _validated(data: Any, origin: str, text: str | None = None) -> Policy:
    from pydantic import ValidationError

    try:
        return validate_policy(data)
    except ValidationError as e:
        raise PolicyError(_format_validation(origin, e, text)) from None


def _format_validation(origin: str, err: ValidationError, text: str | None = None) -> str:
    """One line per problem, in file order, each with its line when the text is at hand, and
    the closest known key for an unknown one (``alises`` -> ``aliases``)."""
    tree = _compose(text) if text is not None else None
    rows = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if p != "[key]")  # pydantic's marker for a bad key
        dotted = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(tree, loc)
        where = f"{origin}:{line}" if line else origin
        if e["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            import difflib  # only for a policy with an unknown key

            close = difflib.get_close_matches(str(loc[-1]), _known_keys(loc[:-1]), n=1,
                                              cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            rows.append((line or 0, f"{where}: unknown key '{dotted}'{hint}"))
        else:
            # a dataclass's missing field is pydantic's "missing argument": no argument to a user
            msg = ("Field required" if e["type"] == "missing_argument"
                   else e["msg"].removeprefix("Value error, "))
            rows.append((line or 0, f"{where}: '{dotted}': {msg}"))
    return "\n".join(r for _, r in sorted(rows, key=lambda r: r[0]))


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the key (or item) at ``loc`` in a composed policy, as deep as it goes."""
    line = None
    for seg in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(seg)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(seg, int) \
                and seg < len(node.value):
            node = node.value[seg]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the policy schema accepts at ``loc`` (a path of keys and list indexes)."""
    ann: Any = Policy
    for seg in loc:
        ann = _inner(ann, seg)
        if ann is None:
            return []
    section = _section_in(ann)
    return [f.name for f in dataclasses.fields(section)] if section is not None else []


def _inner(ann: Any, seg: Any) -> Any:
    """The annotation one step down: a section's field, a list's item, a mapping's value."""
    if _is_section(ann):
        return _hints(ann).get(str(seg))
    for arg in typing.get_args(ann):  # Optional[...] / unions: the first arm that goes deeper
        if typing.get_origin(arg) in (list, dict) or isinstance(arg, type):
            inner = _inner(arg, seg)
            if inner is not None:
                return inner
    origin = typing.get_origin(ann)
    if origin is list and isinstance(seg, int):
        return typing.get_args(ann)[0]
    if origin is dict:
        return typing.get_args(ann)[1]
    return None


def _is_section(ann: Any) -> bool:
    return isinstance(ann, type) and dataclasses.is_dataclass(ann)


def _section_in(annotation: Any) -> Any:
    """The section (a dataclass) an annotation names, directly or as one arm of a union."""
    if _is_section(annotation):
        return annotation
    return next((a for a in typing.get_args(annotation) if _is_section(a)), None)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """A section's field types, evaluated once (``Annotated`` checks left out)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Layer ``over`` on ``base``: mappings merge key by key, everything else is replaced."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("per_path_ignores",):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


class _Layer(typing.NamedTuple):
    origin: str
    text: str
    data: dict[str, Any]


def _read_layers(ref: str, base_dir: Path, seen: tuple[str, ...], boundary: Path,
                 layers: list[_Layer], top: bool = False) -> None:
    """One policy file and the layers it extends, appended to ``layers`` in order, not yet
    validated. Every layer it extends must stay inside ``boundary``; the ``top`` file itself
    may be any path the user gives."""
    if ref in BUILTIN_NAMES:
        origin, text, here = f"<built-in {ref}>", _builtin_text(ref), base_dir
    else:
        origin = str(ref)
        try:
            p = (base_dir / ref).resolve()
            if not top and (os.path.isabs(ref) or not _inside(p, boundary)):
                raise PolicyError(
                    f"{_shown(origin)}: 'extends' names a packaged policy "
                    f"({', '.join(BUILTIN_NAMES)}) or a file inside {boundary.name or '.'}/ "
                    "(no absolute paths, no '..' out of it): a policy from any branch must not "
                    "read files elsewhere")
            if p.exists() and not p.is_file():  # a FIFO would block the read forever
                raise PolicyError(f"{origin}: not a regular file")
            text = p.read_text("utf-8")
        except FileNotFoundError:
            raise PolicyError(f"{origin}: policy file not found") from None
        except RuntimeError:  # what Path.resolve() raises on a symlink loop before Python 3.13
            raise PolicyError(f"{origin}: symlink loop") from None
        except (OSError, UnicodeDecodeError) as e:
            raise PolicyError(f"{origin}: cannot read policy file ({type(e).__name__})") from None
        here = p.parent
        ref = str(p)
    if ref in seen:
        raise PolicyError(f"{origin}: 'extends' forms a cycle")
    data = _read_yaml(text, origin)
    layers.append(_Layer(origin, text, data))
    # a team file layers over the built-in default unless it says ``extends: none``
    parent = data.get("extends", None if origin.startswith("<built-in") else "default")
    if isinstance(parent, str) and parent and parent != "none":  # any other: validation says so
        _read_layers(parent, here, (*seen, ref), boundary, layers)


def _validate_layers(layers: list[_Layer]) -> None:
    """Each layer checked alone, the extending one first, so an error names its own file."""
    for layer in layers:
        _validated(layer.data, layer.origin, layer.text)


def _merged(layers: list[_Layer]) -> dict[str, Any]:
    """The layers merged, each over the one it extends."""
    data: dict[str, Any] = {}
    for layer in reversed(layers):
        data = _merge(data, layer.data)
    return data


def _inside(p: Path, folder: Path) -> bool:
    try:
        return os.path.commonpath([str(p), str(folder.resolve())]) == str(folder.resolve())
    except ValueError:  # another drive
        return False


def _shown(text: str, limit: int = 80) -> str:
    """A name from an untrusted file, cut short and with control characters escaped."""
    cut = text[:limit] + ("..." if len(text) > limit else "")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)


def load_policy(path: str | Path | None = None, cwd: Path | None = None) -> tuple[Policy, str]:
    """Discover and load the policy: ``--policy`` > ``[tool.trackcheck]`` >
    ``policies/trackcheck.yaml`` > built-in default. Returns the policy and where it came from."""
    cwd = cwd or Path.cwd()
    ref: str | None = str(path) if path is not None else None
    if ref is None:
        ref = _pyproject_policy(cwd)
    if ref is None and (cwd / DEFAULT_POLICY_PATH).is_file():
        ref = str(DEFAULT_POLICY_PATH)
    if ref is None:
        ref = "default"
    if ref in BUILTIN_NAMES:
        return _builtin_policy(ref), ref
    # a discovered policy extends files inside the repository; one given with --policy, files
    # inside its own folder
    boundary = cwd if path is None else Path(os.path.abspath(cwd / ref)).parent
    layers: list[_Layer] = []
    try:
        _read_layers(ref, cwd, (), boundary, layers, top=True)
    except PolicyError:
        _validate_layers(layers)  # a layer read before the one that failed: its errors first
        raise
    data = _merged(layers)
    data.pop("extends", None)
    key = _cache_key(layers)
    if key is not None and _cached(key):
        return _build(data), ref
    _validate_layers(layers)
    policy = _validated(data, ref)
    if key is not None and _builds_alike(data, policy):
        _remember(key)
    return policy, ref


def _builtin_policy(name: str) -> Policy:
    """A packaged policy, built without validation: the tests validate every packaged policy
    and check that this gives the same policy, so a run on one never imports pydantic."""
    data = _builtin_data(name)
    data.pop("extends", None)
    return _build(data)


def _builtin_data(name: str) -> dict[str, Any]:
    data = _read_yaml(_builtin_text(name), f"<built-in {name}>")
    parent = data.get("extends")
    return _merge(_builtin_data(parent), data) if parent in BUILTIN_NAMES else data


# --- the fast build: valid data made into a Policy without pydantic ---------------------------
def _build(data: dict[str, Any]) -> Policy:
    return typing.cast(Policy, _construct(Policy, _one_root(data)))


def _construct(cls: type, data: dict[str, Any]) -> Any:
    """The section ``cls`` made from valid data: nested sections, enums and floats made as
    validation makes them; what the data leaves out, the dataclass's defaults."""
    hints = _hints(cls)
    return cls(**{f.name: _constructed(hints[f.name], data[f.name])
                  for f in dataclasses.fields(cls) if f.name in data})


def _constructed(ann: Any, value: Any) -> Any:
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Union or origin is types.UnionType:
        arm = next((a for a in args if _fits(a, value)), None)
        return value if arm is None else _constructed(arm, value)
    if origin is list and isinstance(value, list):
        return [_constructed(args[0], v) for v in value]
    if origin is dict and isinstance(value, dict):
        return {k: _constructed(args[1], v) for k, v in value.items()}
    if _is_section(ann) and isinstance(value, dict):
        return _construct(ann, value)
    if ann is float and type(value) is int:  # YAML's ``10`` for a float field
        return float(value)
    if isinstance(ann, type) and issubclass(ann, Enum):
        return ann(value)
    return value


def _fits(arm: Any, value: Any) -> bool:
    """Whether ``value`` is data for one arm of a union (``list[str] | Literal["all"]``)."""
    kind = typing.get_origin(arm) or arm
    if kind is Literal:
        return value in typing.get_args(arm)
    if _is_section(kind):
        return isinstance(value, dict)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return isinstance(value, str)
    return isinstance(kind, type) and isinstance(value, kind)


def _builds_alike(data: dict[str, Any], policy: Policy) -> bool:
    """Whether the fast build of ``data`` is the validated ``policy``, value types included. A
    file that leans on validation's conversions (``max_depth: '50'``) is validated every run."""
    try:
        return repr(_build(data)) == repr(policy)
    except (TypeError, ValueError, KeyError, AttributeError):
        return False


# --- the cache of policy files validated before -------------------------------------------
def _cache_key(layers: list[_Layer]) -> str | None:
    """What a validation depends on: this trackcheck (its version, and the files that define the
    schema and the rule codes, for a copy edited in place) and every layer's origin and text,
    in order. None when those files cannot be found (no cache then)."""
    import hashlib  # only for a policy file
    try:
        stamps = [f"{st.st_size}:{st.st_mtime_ns}"
                  for st in (os.stat(__file__), os.stat(codes.__file__ or ""))]
    except OSError:
        return None
    h = hashlib.sha256()
    texts = (part for layer in layers for part in (layer.origin, layer.text))
    for part in (__version__, *stamps, *texts):
        raw = part.encode("utf-8", "surrogatepass")
        h.update(len(raw).to_bytes(8, "big") + raw)
    return h.hexdigest()


def _cache_dir() -> Path | None:
    """``$TRACKCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/trackcheck``, else
    ``~/.cache/trackcheck``."""
    given = os.environ.get("TRACKCHECK_CACHE_DIR")
    if given:
        return Path(given)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "trackcheck"
    try:
        return Path.home() / ".cache" / "trackcheck"
    except RuntimeError:  # no home directory to be found
        return None


def _cached(key: str) -> bool:
    where = _cache_dir()
    return where is not None and os.path.isfile(where / f"policy-{key}")  # False on any OSError


def _remember(key: str) -> None:
    """Marks a validated policy: an empty file named by its key, appearing whole or not at all. A
    cache that cannot be written (a read-only home, CI) is no error: the next run validates."""
    where = _cache_dir()
    if where is None:
        return
    tmp = where / f".policy-{key}.{os.getpid()}.tmp"
    try:
        where.mkdir(parents=True, exist_ok=True)
        with open(tmp, "x", encoding="utf-8"):
            pass
        os.replace(tmp, where / f"policy-{key}")
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def _pyproject_policy(cwd: Path) -> str | None:
    pp = cwd / "pyproject.toml"
    if not pp.is_file():
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(pp.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise PolicyError(f"pyproject.toml: cannot read [tool.trackcheck] ({e})") from None
    section = data.get("tool", {}).get("trackcheck")
    if section is None:
        return None
    unknown = set(section) - {"policy"}
    if unknown:
        raise PolicyError(f"pyproject.toml: unknown key 'tool.trackcheck.{sorted(unknown)[0]}'")
    value = section.get("policy")
    if value is not None and not isinstance(value, str):
        raise PolicyError("pyproject.toml: 'tool.trackcheck.policy' must be a string")
    return value

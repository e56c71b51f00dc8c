"""The policy: a pydantic model of a team's conventions, its discovery, ``extends`` and errors."""

from __future__ import annotations

import fnmatch
import re
import sys
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from trackcheck.detect.keys import is_secret_key
from trackcheck.detect.tokens import find_token
from trackcheck.findings import Severity

DEFAULT_POLICY_PATH = Path("policies") / "trackcheck.yaml"
BUILTIN_NAMES = ("default", "strict")


class PolicyError(Exception):
    """An invalid or unreadable policy file; the CLI turns it into exit 2."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AliasPolicy(_Model):
    allowed: list[str] = Field(default_factory=list)
    exclusive: list[list[str]] = Field(default_factory=list)
    training_may_declare: list[str] = Field(default_factory=list)
    live: list[str] = Field(default_factory=list)
    stage_to_alias: dict[str, str] = Field(default_factory=dict)
    case_sensitive: bool = True
    # aliases that mark a version as retired: never deployed (TC210)
    retired: list[str] = Field(default_factory=list)


class RunTagPolicy(_Model):
    required: list[str] = Field(default_factory=list)
    allowed: list[str] = Field(default_factory=list)
    # allowed values per tag key; a list of strings, or the word "bool"
    values: dict[str, list[str] | Literal["bool"]] = Field(default_factory=dict)
    # mapping keys that hold run tags (e.g. ``mlflow.tags``)
    blocks: list[str] = Field(default_factory=list)


class NamingPolicy(_Model):
    experiment_name: list[str] = Field(default_factory=list)
    run_name: list[str] = Field(default_factory=list)


class MlflowSchema(_Model):
    group: str = "mlflow"
    keys: dict[str, str] = Field(default_factory=dict)
    register_keys: dict[str, str] = Field(default_factory=dict)
    strict_schema: bool = False


class LineagePolicy(_Model):
    required_for: list[str] = Field(default_factory=list)
    git_commit_tags: list[str] = Field(default_factory=list)
    require_dataset_digest: bool = True


class Entrypoint(_Model):
    """A training entrypoint that ``lint --compose`` composes with Hydra: a primary config, the
    override sets it is launched with, and the groups whose every option is composed in turn."""

    config: str = Field(min_length=1)  # primary config name in the config dir (``config``)
    config_dir: str | None = None  # default: ``config_root``
    overrides: list[list[str]] = Field(default_factory=lambda: [[]])  # ``[[], [experiment=foo]]``
    # groups whose every option is composed on top of each override set; ``all``: every group
    sweep: list[str] | Literal["all"] = "all"


class RuleSetting(_Model):
    enabled: bool = True
    severity: Severity | None = None


class TokenPattern(_Model):
    name: str
    regex: str

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as e:
            raise ValueError(f"not a valid regular expression: {e}") from None
        return v


class Policy(_Model):
    extends: str | None = None
    config_root: str = "config"
    aliases: AliasPolicy = AliasPolicy()
    run_tags: RunTagPolicy = RunTagPolicy()
    uri_keys: list[str] = Field(default_factory=list)
    server_keys: list[str] = Field(default_factory=list)
    secret_key_words: list[str] = Field(default_factory=list)
    secret_key_names: list[str] = Field(default_factory=list)
    not_secret_keys: list[str] = Field(default_factory=list)
    token_patterns: list[TokenPattern] = Field(default_factory=list)
    naming: NamingPolicy = NamingPolicy()
    mlflow: MlflowSchema = MlflowSchema()
    lineage: LineagePolicy = LineagePolicy()
    promotable_envs: list[str] | None = None
    training_paths: list[str] = Field(default_factory=list)
    training_code_paths: list[str] = Field(default_factory=list)
    secret_files: list[str] = Field(default_factory=list)
    non_hydra_yaml: list[str] = Field(default_factory=list)
    entrypoints: list[Entrypoint] = Field(default_factory=list)
    rules: dict[str, RuleSetting] = Field(default_factory=dict)
    per_path_ignores: dict[str, list[str]] = Field(default_factory=dict)
    max_file_bytes: int = Field(5_000_000, gt=0)
    max_depth: int = Field(100, gt=0)
    max_nodes: int = Field(1_000_000, gt=0)

    # a misspelt code would silently switch nothing off
    @field_validator("rules")
    @classmethod
    def _rule_codes(cls, v: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
        for code in v:
            if not re.fullmatch(r"TC\d{3}", code):
                raise ValueError(f"'{code}' is not a rule code (e.g. TC101)")
        return v

    @field_validator("per_path_ignores")
    @classmethod
    def _ignore_codes(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for codes in v.values():
            for code in codes:
                if not re.fullmatch(r"TC\d{0,3}", code):
                    raise ValueError(f"'{code}' is not a rule code or prefix (e.g. TC101, TC1)")
        return v

    # --- predicates -----------------------------------------------------------------
    def rule_enabled(self, code: str) -> bool:
        s = self.rules.get(code)
        return s.enabled if s else True

    def rule_severity(self, code: str, default: Severity) -> Severity:
        s = self.rules.get(code)
        return s.severity if s and s.severity else default

    def ignored_for_path(self, code: str, path: str) -> bool:
        return any(
            fnmatch.fnmatch(path, pattern) and any(code.startswith(c) for c in codes)
            for pattern, codes in self.per_path_ignores.items()
        )

    @cached_property
    def _token_res(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(t.name, re.compile(t.regex)) for t in self.token_patterns]

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
    return resources.files("trackcheck.policies").joinpath(f"{name}.yaml").read_text("utf-8")


def _format_validation(origin: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(f"{origin}: unknown key '{loc}'")
        else:
            lines.append(f"{origin}: '{loc}': {e['msg']}")
    return "\n".join(lines)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Layer ``over`` on ``base``: mappings merge key by key, everything else is replaced."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("per_path_ignores",):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _load_layers(ref: str, base_dir: Path, seen: tuple[str, ...]) -> dict[str, Any]:
    if ref in BUILTIN_NAMES:
        origin, text, here = f"<built-in {ref}>", _builtin_text(ref), base_dir
    else:
        origin = str(ref)
        try:
            p = (base_dir / ref).resolve()
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
    try:
        Policy.model_validate(data)  # each layer is checked alone, so errors name its file
    except ValidationError as e:
        raise PolicyError(_format_validation(origin, e)) from None
    # a team file layers over the built-in default unless it says ``extends: none``
    parent = data.get("extends", None if origin.startswith("<built-in") else "default")
    if parent and parent != "none":
        data = _merge(_load_layers(parent, here, (*seen, ref)), data)
    return data


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
    data = _load_layers(ref, cwd, ())
    data.pop("extends", None)
    try:
        return Policy.model_validate(data), ref
    except ValidationError as e:
        raise PolicyError(_format_validation(ref, e)) from None


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

"""The vocabulary both engines speak: severities, findings and their line-free fingerprints."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any


class Severity(str, Enum):
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return 1 if self is Severity.WARNING else 2


# scrypt parameters for value digests: slow and memory-hard enough that a committed
# baseline or a published SARIF file does not let anyone brute-force a short password,
# cheap enough (~2 ms each here) for a few hundred findings per run. Only outputs that
# show or compare fingerprints pay it (see LazyFingerprint).
_SCRYPT = {"n": 2**11, "r": 8, "p": 1, "dklen": 16}


@lru_cache(maxsize=4096)
def value_digest(value: str, salt: str) -> str:
    """Salted slow hash of an offending value; the salt makes equal values differ per place."""
    import hashlib  # only when a fingerprint is asked for

    return hashlib.scrypt(
        value.encode("utf-8", "surrogatepass"),
        salt=salt.encode("utf-8", "surrogatepass"),
        **_SCRYPT,
    ).hex()


def fingerprint(rule: str, path: str, key: str, value: str | None) -> str:
    """Identity of a finding: rule + path + key + slow hash of the value; never a line number."""
    import hashlib  # only when a fingerprint is asked for

    ident = f"{rule}\x00{path}\x00{key}"
    digest = value_digest(value, ident) if value is not None else "-"
    return hashlib.sha256(f"{ident}\x00{digest}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


class LazyFingerprint:
    """What a finding's fingerprint is made of, hashed on first use and then remembered.

    Text and GitHub output never read a fingerprint, so they never pay the slow digest. The
    offending value lives only here, in a slot: no repr, copy, deep copy or pickle carries it
    (a copy or a pickle is the fingerprint itself).
    """

    __slots__ = ("_inputs", "_digest")

    def __init__(self, rule: str, path: str, key: str, value: str | None) -> None:
        self._inputs: tuple[str, str, str, str | None] | None = (rule, path, key, value)
        self._digest: str | None = None

    def __str__(self) -> str:
        if self._digest is None:
            assert self._inputs is not None
            self._digest = fingerprint(*self._inputs)
            self._inputs = None  # the value is needed no more
        return self._digest

    def same_as(self, other: LazyFingerprint) -> bool:
        """Equal fingerprints, compared without hashing when neither is hashed yet."""
        if self._inputs is not None and other._inputs is not None:
            return self._inputs == other._inputs
        return str(self) == str(other)

    def __repr__(self) -> str:
        return f"LazyFingerprint({'...' if self._digest is None else repr(self._digest)})"

    def __copy__(self) -> LazyFingerprint:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> str:
        return str(self)

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return str, (str(self),)


@dataclass(frozen=True, init=False, eq=False)
class Finding:
    """One finding. ``fingerprint`` is a string or a ``LazyFingerprint`` (as ``engine.stamp``
    gives it), read as a string; equality and hashing include it, as they always did."""

    rule: str
    name: str
    severity: Severity
    message: str
    path: str
    key: str
    line: int | None = None
    column: int | None = None
    # the fingerprint given, or its inputs (never in repr: they hold the value); a field so
    # that dataclasses.replace carries it over without hashing
    _fingerprint: str | LazyFingerprint = field(default="", repr=False, compare=False)
    # why the finding is hidden ("inline: reason", "baseline"), None when it is reported
    suppressed: str | None = field(default=None, compare=False)

    def __init__(
        self,
        rule: str,
        name: str,
        severity: Severity,
        message: str,
        path: str,
        key: str,
        line: int | None = None,
        column: int | None = None,
        fingerprint: str | LazyFingerprint = "",
        suppressed: str | None = None,
        *,
        _fingerprint: str | LazyFingerprint | None = None,  # dataclasses.replace passes this
    ) -> None:
        put = object.__setattr__
        put(self, "rule", rule)
        put(self, "name", name)
        put(self, "severity", severity)
        put(self, "message", message)
        put(self, "path", path)
        put(self, "key", key)
        put(self, "line", line)
        put(self, "column", column)
        put(self, "_fingerprint", fingerprint if _fingerprint is None else _fingerprint)
        put(self, "suppressed", suppressed)

    @property
    def fingerprint(self) -> str:
        fp = self._fingerprint
        return fp if isinstance(fp, str) else str(fp)

    def _same_fingerprint(self, other: Finding) -> bool:
        a, b = self._fingerprint, other._fingerprint
        if isinstance(a, LazyFingerprint) and isinstance(b, LazyFingerprint):
            return a.same_as(b)
        return self.fingerprint == other.fingerprint

    def _compared(self) -> tuple[object, ...]:
        return (self.rule, self.name, self.severity, self.message, self.path, self.key,
                self.line, self.column)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Finding)
        return self._compared() == other._compared() and self._same_fingerprint(other)

    def __hash__(self) -> int:
        return hash((*self._compared(), self.fingerprint))

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "fingerprint": self.fingerprint,
        }
        if self.suppressed is not None:
            d["suppressed"] = self.suppressed
        return d

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line or 0, self.column or 0, self.rule, self.key)

"""The vocabulary both engines speak: severities, findings and their line-free fingerprints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache


class Severity(str, Enum):
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return 1 if self is Severity.WARNING else 2


# scrypt parameters for value digests: slow and memory-hard enough that a committed
# baseline or a published SARIF file does not let anyone brute-force a short password,
# cheap enough (~2 ms each here) for a few hundred findings per run.
_SCRYPT = {"n": 2**11, "r": 8, "p": 1, "dklen": 16}


@lru_cache(maxsize=4096)
def value_digest(value: str, salt: str) -> str:
    """Salted slow hash of an offending value; the salt makes equal values differ per place."""
    return hashlib.scrypt(
        value.encode("utf-8", "surrogatepass"),
        salt=salt.encode("utf-8", "surrogatepass"),
        **_SCRYPT,
    ).hex()


def fingerprint(rule: str, path: str, key: str, value: str | None) -> str:
    """Identity of a finding: rule + path + key + slow hash of the value; never a line number."""
    ident = f"{rule}\x00{path}\x00{key}"
    digest = value_digest(value, ident) if value is not None else "-"
    return hashlib.sha256(f"{ident}\x00{digest}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    severity: Severity
    message: str
    path: str
    key: str
    line: int | None = None
    column: int | None = None
    fingerprint: str = ""
    # why the finding is hidden ("inline: reason", "baseline"), None when it is reported
    suppressed: str | None = field(default=None, compare=False)

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

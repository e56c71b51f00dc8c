"""The catalog of rule codes every engine uses (lint, audit, guard), known without importing a
single rule module."""

from __future__ import annotations

# code -> kebab-case name; stable forever (suppressions, baselines and CI depend on them).
# tests/test_architecture.py keeps this table and the rule modules of every engine in agreement.
CODES: dict[str, str] = {
    "TC001": "yaml-syntax-error",
    "TC002": "interpolation-syntax-error",
    "TC003": "duplicate-key",
    "TC004": "unsafe-file",
    "TC005": "unused-suppression",
    "TC006": "compose-failed",
    "TC101": "tracking-uri-literal",
    "TC102": "server-setting-in-repo",
    "TC103": "credentials-in-uri",
    "TC104": "env-default-leak",
    "TC110": "known-token",
    "TC111": "secret-literal",
    "TC120": "unknown-run-tag",
    "TC121": "missing-run-tag",
    "TC122": "bad-tag-value",
    "TC130": "unknown-alias",
    "TC131": "model-uri-not-alias",
    "TC132": "training-promotes",
    "TC133": "deprecated-stage",
    "TC134": "invalid-alias-name",
    "TC140": "experiment-name-convention",
    "TC141": "run-name-convention",
    "TC150": "mlflow-schema",
    "TC160": "secret-file-committed",
    "TC161": "hydra-output-committed",
    "TC162": "mlflow-store-committed",
    "TC170": "tracking-uri-override",
    "TC171": "tracking-uri-in-code",
    "TC201": "conflicting-aliases",
    "TC202": "unknown-alias",
    "TC203": "stage-in-use",
    "TC204": "alias-on-unready-version",
    "TC205": "unhealthy-source-run",
    "TC206": "debug-run-promoted",
    "TC207": "missing-lineage",
    "TC208": "registry-secret",
    "TC209": "run-tag-policy",
    "TC210": "dangling-model-reference",
    "TC211": "promotion-path-skipped",
    "TC212": "alias-moved-outside-guard",
    "TC301": "unstaged-promotion",
    "TC302": "protected-alias-write",
    "TC303": "deployed-version-removed",
}


def unknown_code(code: str, *, prefix: bool) -> str | None:
    """Why ``code`` names no rule (with a "did you mean"), or None when it is a known code, or,
    with ``prefix``, a prefix of one (``TC``, ``TC1``, ``TC10``)."""
    code = code.strip().upper()
    if code in CODES or (prefix and code.startswith("TC") and any(c.startswith(code)
                                                                  for c in CODES)):
        return None
    what = "a rule code or prefix" if prefix else "a rule code"
    if not (code.startswith("TC") and code[2:].isdigit() and len(code) <= 5):
        return f"'{code}' is not {what} (e.g. TC101{', TC1' if prefix else ''})"
    # the nearest code of the same family (TC1xx: static config, TC2xx: registry, TC3xx: write
    # time) within ten: TC172 -> TC171, TC135 -> TC134; a digit swap (TC110 for TC101) is left
    # to the list
    n = int(code[2:]) if len(code) == 5 else -100
    near = sorted((abs(int(c[2:]) - n), c) for c in CODES if c[2] == code[2:3])
    close = near[0][1] if near and near[0][0] < 10 else None
    hint = f"; did you mean {close} ({CODES[close]})?" if close else ""
    return f"unknown rule code '{code}'{hint} (see 'trackcheck rules')"

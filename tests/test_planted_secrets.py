"""Secrets planted across a whole tree in many shapes (YAML values, list items, aliases, block
scalars, flow mappings, env defaults, credential URIs with '@' in the password, Python string
literals, shell exports) are each reported, and none shows in any output: any format, --diff,
--fix or the baseline (SPEC, "Masking tests": long secrets of mixed character classes, which
no output text can hold by chance)."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lint.test_properties import cli, tree
from trackcheck.cli import FORMATS

# characters every shape below carries unescaped (YAML plain and quoted scalars, OmegaConf quoted
# arguments, Python and shell quotes, a URI's password) and no output format escapes
_TAIL = string.ascii_letters + string.digits + "-_.+~^=!;"
SECRET = st.tuples(
    st.sampled_from(string.ascii_uppercase), st.sampled_from(string.ascii_lowercase),
    st.sampled_from(string.digits), st.sampled_from("-_.+~^=!;"),
    st.text(_TAIL, min_size=12, max_size=28),
).flatmap(lambda p: st.permutations([*p[:4], *p[4]])).map(lambda cs: "K" + "".join(cs))

# shape -> (file, text holding the secret, the rule that must report it)
Shape = Callable[[str], tuple[str, str, str]]
SHAPES: dict[str, Shape] = {
    "value": lambda s: ("config/db/main.yaml", f"db:\n  password: '{s}'\n", "TC111"),
    "list item": lambda s: ("config/auth.yaml", f"auth:\n  api_keys:\n    - {s}\n", "TC111"),
    "alias": lambda s: ("config/alias.yaml", f"shared: &pw '{s}'\ndb:\n  password: *pw\n",
                        "TC111"),
    "block scalar": lambda s: ("config/block.yaml", f"svc:\n  token: |\n    {s}\n", "TC111"),
    "flow map": lambda s: ("config/flow.yaml", f"svc: {{user: app, secret: '{s}'}}\n", "TC111"),
    "env default": lambda s: ("config/env.yaml",
                              f"db:\n  password: ${{oc.env:DB_PASSWORD,'{s}'}}\n", "TC104"),
    "credential URI": lambda s: ("config/uri.yaml",
                                 f"db:\n  url: postgresql://app:{s}@db.example.com:5432/x\n",
                                 "TC103"),
    "'@' in a URI password": lambda s: (
        "config/at.yaml", f"store:\n  dsn: mysql://root:{s}@{s[::-1]}@db.internal/x\n",
        "TC103"),
    "Python literal": lambda s: ("src/settings.py", f'DB_PASSWORD = "{s}"\n', "TC111"),
    "Python URI": lambda s: ("src/db.py", f'ENGINE = "postgresql://app:{s}@db/x"\n', "TC103"),
    "shell export": lambda s: ("scripts/run.sh", f"#!/bin/sh\nexport API_TOKEN='{s}'\n",
                               "TC111"),
}
BASE = {"config/config.yaml": "defaults:\n  - db: main\n  - _self_\nproject: demo\n"}


def _shown(secret: str, text: str) -> list[str]:
    """The secret, or the other side of the '@' it stands before in a URI password (its
    reverse), wherever the text holds one."""
    return [p for p in (secret, secret[::-1]) if p in text]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(st.sampled_from(sorted(SHAPES)), SECRET), min_size=2, max_size=5,
                unique_by=lambda t: t[0]))
def test_planted_secrets_are_reported_and_never_shown(planted: list[tuple[str, str]]) -> None:
    files = dict(BASE)
    expected: set[tuple[str, str]] = set()
    for shape, secret in planted:
        rel, text, rule = SHAPES[shape](secret)
        files[rel] = text
        expected.add((rule, rel))
    secrets = [s for _, s in planted]
    with tree(files) as root:
        code, out, err = cli("lint", ".", "--format", "json")
        assert code == 1, err
        found = {(f["rule"], f["path"]) for f in json.loads(out)["findings"]}
        assert expected <= found, (expected - found, planted)  # every planted secret reported
        outputs = [out + err]
        for fmt in FORMATS:
            code, out, err = cli("lint", ".", "--format", fmt, "--show-suppressed")
            outputs.append(out + err)
        outputs.append("".join(cli("lint", ".", "--diff", "--unsafe-fixes")[1:]))
        assert cli("lint", ".", "--write-baseline", "bl.json")[0] == 0
        outputs.append((root / "bl.json").read_text("utf-8"))
        code, out, err = cli("lint", ".", "--baseline", "bl.json", "--format", "sarif")
        outputs.append(out + err)
        outputs.append("".join(cli("lint", ".", "--fix", "--unsafe-fixes")[1:]))
        for i, text in enumerate(outputs):
            for secret in secrets:
                assert not _shown(secret, text), (i, secret, planted)
        # --fix rewrote the YAML secrets it can into env lookups, and wrote no secret elsewhere
        for path in Path(root).rglob("*"):
            if path.is_file() and path.name != "bl.json" and str(path.relative_to(root)) \
                    not in files:
                for secret in secrets:
                    assert secret not in path.read_text("utf-8", errors="replace"), path

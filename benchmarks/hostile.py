"""Hostile inputs (issue 9): time and peak memory of ``trackcheck lint`` per input shape, at 1x, 2x
and 4x size, so that anyone can see whether the cost grows linearly.

Each case lints one generated file in a child process of its own, measured with ``os.wait4``:
wall time and that child's peak RSS (children also write the files: a child's peak counts
what its parent held when it started). 4x is the size at which each shape was reported (a 100 KB
value, 150,000 merge keys, an 80,000-character interpolation, 5 MB of YAML or Python). For the
shapes a parser reads whole, the parser's own peak (PyYAML's C composer, ``ast.parse``) on the
same file is printed beside it: trackcheck's own structures should add at most that much
(SPEC, "Memory"). ``growth`` is the 4x figure over the 1x one: about 4 is linear, about 16
quadratic (memory: above the interpreter's own start-up RSS).

    python benchmarks/hostile.py [--shapes long-value,merge-keys] [--scales 1,2,4]
                                 [--timeout 300] [--no-floor] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

# a made-up token and password (long, mixed, colliding with nothing the output holds)
_TOKEN = "ghp_" + "Zq8wLk2PvX9mNc4TbR7yHs1JdF6gKa3EuW5o"
_PASSWORD = "Xv9-Qm2#Lk7"


def _lines(n: int, line: Callable[[int], str]) -> str:
    return "".join(line(i) for i in range(n))


def _filled(size: int, line: Callable[[int], str], head: str = "") -> str:
    """``head`` then numbered lines up to ``size`` characters."""
    parts, total, i = [head], len(head), 0
    while total < size:
        s = line(i)
        parts.append(s)
        total += len(s)
        i += 1
    return "".join(parts)


# shape -> (file name, text at scale s, what the 1x case is); 4x is the reported size
SHAPES: dict[str, tuple[str, Callable[[int], str], str]] = {
    "long-value": ("config/db.yaml", lambda s: "password: " + "a" * 25_000 * s + "\n",
                   "a 25 KB value under a secret-like key"),
    "long-url": ("config/db.yaml", lambda s: "url: http://" + "a" * 25_000 * s + "@db\n",
                 "a 25 KB value after http://, an @ at its end"),
    "long-uri-pieces": ("config/db.yaml",
                        lambda s: "url: " + "a://${x}" * (25_000 * s // 8) + "\n",
                        "25 KB of scheme://${...} pieces"),
    "token-prefixes": ("config/t.yaml",
                       lambda s: "jwt: " + "-eyJ" * (25_000 * s // 4) + "\nkey: |\n"
                       + "  -----BEGIN RSA PRIVATE KEY-----\n" * (800 * s),
                       "25 KB of '-eyJ' and 800 private-key headers"),
    "merge-keys": ("config/m.yaml",
                   lambda s: _lines(37_500 * s, lambda i: f"k{i}: {{<<: {{x: 1}}}}\n"),
                   "37,500 lines of kN: {<<: {x: 1}}"),
    "interpolation": ("config/i.yaml",
                      lambda s: 'v: "${oc.env:X,' + "${a.b}" * (20_000 * s // 6) + '}"\n',
                      "a 20,000-character ${oc.env:X,${a.b}${a.b}...} (one interpolation)"),
    "interpolation-top": ("config/i.yaml",
                          lambda s: 'v: "' + "${a.b}" * (20_000 * s // 6) + '$"\n',
                          "a 20,000-character string of ${a.b}, then a '$'"),
    "interpolation-quoted": ("config/q.yaml",
                             lambda s: 'v: "' + "".join(f"${{oc.env:A{i},'b'}}"
                                                        for i in range(20_000 * s // 18)) + '"\n',
                             "a 20,000-character string of ${oc.env:AN,'b'} (the grammar's pace)"),
    "interpolation-nested": ("config/n.yaml",
                             lambda s: 'v: "' + "${a." * (400 * s) + "b" + "}" * (400 * s) + '"\n',
                             "an interpolation nested 400 deep"),
    "yaml-list": ("config/list.yaml",
                  lambda s: _filled(1_200_000 * s, lambda i: f"- {{a: {i}}}\n", "items:\n"),
                  "a 1.2 MB YAML list of small mappings"),
    "deep-keys": ("config/k.yaml",
                  lambda s: "".join(" " * d + "k" * 1000 + f"{d}:\n" for d in range(50))
                  + " " * 50 + "items:\n" + _lines(10_000 * s, lambda i: " " * 50 + f"- {i}\n"),
                  "10,000 list items under 50 nested 1,000-character keys"),
    "python-secrets": ("src/settings.py",
                       lambda s: _filled(1_200_000 * s,
                                         lambda i: f'p{i}_password = "Pw-{i}-x9Q"\n'),
                       "1.2 MB of Python assigning secret-like names (one finding a line)"),
    "suppressed": ("config/s.yaml",
                   lambda s: _lines(10_000 * s, lambda i: f"p{i}_password: Pw-{i}-x9Q"
                                                          "  # trackcheck: ignore[TC111]\n"),
                   "10,000 suppressed findings"),
    "blank-run": ("Makefile", lambda s: "A= x" + " " * 250_000 * s + "y\n",
                  "a Makefile variable with 250,000 blanks inside its value"),
    "broken-yaml": ("config/b.yaml",
                    lambda s: "a: [unclosed\n" + _lines(
                        6_000 * s, lambda i: f"k{i}: {'x' * 150} {_TOKEN if i % 997 == 0 else ''}"
                                             f" postgresql://u:{_PASSWORD}@db/{i}\n"),
                    "1.2 MB of YAML that does not parse (read for tokens line by line)"),
    "oversized": ("config/big.yaml",
                  lambda s: _lines(30_000 * s, lambda i: f"k{i}: {'x' * 190} "
                                                         f"{_TOKEN if i % 997 == 0 else ''}\n"),
                  "6 MB of YAML past max_file_bytes (5 MB): TC004, read for tokens"),
}
_FLOOR = {  # what the file costs its parser alone, for the shapes a parser reads whole
    "yaml": "import sys, yaml; list(yaml.compose_all(open(sys.argv[1]).read(), "
            "Loader=yaml.CSafeLoader))",
    "python": "import ast, sys; ast.parse(open(sys.argv[1]).read())",
}
_PARSED = {"merge-keys": "yaml", "yaml-list": "yaml", "python-secrets": "python",
           "suppressed": "yaml", "deep-keys": "yaml"}


def _measure(argv: list[str], cwd: Path, timeout: float) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KB) and exit status of one child process (killed at ``timeout``).
    The child imports the trackcheck this script imports, wherever it runs."""
    import trackcheck

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(Path(trackcheck.__file__).resolve().parents[1]),
                    os.environ.get("PYTHONPATH", "")) if p)}
    t0 = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, start_new_session=True)
    timer = threading.Timer(timeout, os.killpg, (child.pid, signal.SIGKILL))
    timer.start()
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    timer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if child.returncode < 0:
        return wall, usage.ru_maxrss, f"stopped at {timeout:.0f} s"
    if child.returncode not in (0, 1):
        return wall, usage.ru_maxrss, f"exit {child.returncode}: {err.decode()[-200:]}"
    return wall, usage.ru_maxrss, ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shape names")
    ap.add_argument("--scales", default="1,2,4")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per case")
    ap.add_argument("--no-floor", action="store_true", help="skip the parser-alone figures")
    ap.add_argument("--keep", type=Path, help="generate the files here and keep them")
    ap.add_argument("--write", nargs=3, metavar=("SHAPE", "SCALE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.write:  # a child's work: the generated text never enlarges the measuring process
        shape, scale, out = args.write
        Path(out).write_text(SHAPES[shape][1](int(scale)), "utf-8")
        return 0
    scales = [int(s) for s in args.scales.split(",")]
    root = args.keep or Path(tempfile.mkdtemp(prefix="trackcheck-hostile-"))
    lint = [sys.executable, "-m", "trackcheck", "lint"]
    try:
        (root / "one.yaml").write_text("a: 1\n")
        start = _measure([*lint, "one.yaml"], root, args.timeout)[1]
        print(f"start-up (a one-line file): {start / 1024:.0f} MB peak RSS\n")
        print(f"{'shape':22} {'scale':>5} {'bytes':>10} {'seconds':>8} {'peak MB':>8}"
              f" {'parser MB':>9}  note")
        for name in args.shapes.split(","):
            rel, _, what = SHAPES[name]
            first: tuple[float, int] | None = None
            last: tuple[float, int] | None = None
            print(f"# {name}: {what} at 1x")
            for s in scales:
                path = root / name / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run([sys.executable, __file__, "--write", name, str(s), str(path)],
                               check=True)
                size = path.stat().st_size
                wall, rss, note = _measure([*lint, rel], root / name, args.timeout)
                floor = ""
                if name in _PARSED and not args.no_floor:
                    frss = _measure([sys.executable, "-c", _FLOOR[_PARSED[name]], str(path)],
                                    root, args.timeout)[1]
                    floor = f"{frss / 1024:.0f}"
                print(f"{name:22} {s:>4}x {size:>10,} {wall:>8.2f} {rss / 1024:>8.0f}"
                      f" {floor:>9}  {note}", flush=True)
                if not note and s == scales[0]:
                    first = (wall, rss)
                if not note and s == scales[-1]:
                    last = (wall, rss)
                path.unlink()
            if first and last and len(scales) > 1:
                grow_t = last[0] / max(first[0], 1e-3)
                # memory above start-up, where the 1x case adds enough to compare
                grow_m = f"{(last[1] - start) / (first[1] - start):.1f}x" \
                    if first[1] - start > 10 * 1024 else "flat"
                print(f"{'':22} growth {scales[-1] // scales[0]}x size: time {grow_t:.1f}x,"
                      f" memory {grow_m}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

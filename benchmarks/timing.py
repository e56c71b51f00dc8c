"""Timing shared by the benchmarks: wall and CPU time (this process and its children) per run."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable


def runs(fn: Callable[[], object], repeat: int,
         children_only: bool = False) -> tuple[list[float], list[float]]:
    """Wall times and CPU times of ``repeat`` calls of ``fn``; CPU time counts this process and
    the children it waited for, and is the steadier figure on a busy machine. ``children_only``:
    the children's alone, for a command run in a subprocess (starting one from a large benchmark
    process costs the parent ~10 ms of its own, which the command never pays)."""
    walls, cpus = [], []
    for _ in range(repeat):
        r0, c0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        children = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        cpus.append(children if children_only else time.process_time() - c0 + children)
    return walls, cpus

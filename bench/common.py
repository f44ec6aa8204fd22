"""Shared benchmark helpers: a moto server, timing of whole commands, a table of medians."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from ecrctl.sandbox.emulator import Emulator, running_emulator


@dataclass
class Figure:
    name: str
    median_ms: float
    runs: int
    calls: str = ""
    note: str = ""


def median_ms(action: Callable[[], object], runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def command_runner(
    argv: Sequence[str], env: dict[str, str], *, check: bool = True, stdin: str | None = None
) -> Callable[[], object]:
    """Runs ``argv`` as installed tools run: with their bytecode (a pip install compiles it; the
    aws CLI has its own), so PYTHONDONTWRITEBYTECODE, set on some build machines, is dropped
    and the warm-up run writes an editable checkout's ``__pycache__``."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run() -> object:
        done = subprocess.run(
            list(argv), env=env, input=stdin, capture_output=True, text=True, check=False
        )
        if check and done.returncode != 0:
            raise SystemExit(
                f"benchmark command failed ({done.returncode}): {' '.join(argv)}\n{done.stderr}"
            )
        return done

    return run


def tool(name: str) -> str | None:
    return shutil.which(name)


def ecrctl() -> list[str]:
    exe = shutil.which("ecrctl")
    return [exe] if exe else [sys.executable, "-m", "ecrctl"]


@contextmanager
def emulator_env() -> Iterator[tuple[Emulator, dict[str, str]]]:
    with running_emulator() as emulator:
        env = {
            **os.environ,
            **emulator.environment(),
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_PAGER": "",
            "ECRCTL_OUTPUT": "text",
        }
        env.pop("AWS_PROFILE", None)
        yield emulator, env


def print_table(title: str, figures: list[Figure], baseline: dict[str, str] | None = None) -> None:
    """Medians side by side; ``baseline`` maps a figure name to the name it is compared with."""
    by_name = {f.name: f for f in figures}
    print(f"\n## {title}\n")
    print("| what | median ms | runs | vs | ratio | API calls | note |")
    print("|---|---:|---:|---|---:|---|---|")
    for f in figures:
        other = by_name.get((baseline or {}).get(f.name, ""))
        ratio = f"{f.median_ms / other.median_ms:.2f}x" if other else ""
        print(
            f"| {f.name} | {f.median_ms:.1f} | {f.runs} | {other.name if other else ''} | "
            f"{ratio} | {f.calls} | {f.note} |"
        )
    sys.stdout.flush()

"""A test's own process to kill with SIGKILL: started as ``python -m MODULE ARGS`` from the
project's root with the project on its path, its stdout read line by line (what it says), its
stderr kept in the test's folder to show when it dies without a word."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
Process = subprocess.Popen[str]


def start(module: str, args: list[str], folder: Path) -> Process:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(folder / "stderr.txt").open("a"),
        text=True,
    )


def said(process: Process, folder: Path) -> list[str]:
    """The next line the process says, as words (blocks until it says it, or dies)."""
    assert process.stdout is not None
    line = process.stdout.readline().split()
    assert line, (folder / "stderr.txt").read_text()
    return line

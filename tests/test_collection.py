"""The suite collects without the `postgres` extra: what needs asyncpg skips itself, nothing errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run at start-up of the child interpreter: asyncpg cannot be imported there, as if never installed.
HIDE_ASYNCPG = '''
import sys


class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name == "asyncpg" or name.startswith("asyncpg."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
'''


def test_the_suite_collects_without_asyncpg(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(HIDE_ASYNCPG)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    hidden = subprocess.run(
        [sys.executable, "-c", "import asyncpg"], env=env, capture_output=True, text=True, timeout=60
    )
    assert hidden.returncode != 0 and "No module named 'asyncpg'" in hidden.stderr
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-rs", "-p", "no:cacheprovider", "-p", "no:randomly",
         "tests"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped and all("need asyncpg" in line for line in skipped), done.stdout[-3000:]
    assert not [line for line in done.stdout.splitlines() if line.startswith("ERROR")], done.stdout[-3000:]

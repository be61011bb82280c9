"""Several processes saving at once lose nothing; readers never see a torn file."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from revops_tui.targets.store import TargetStore

ROOT = Path(__file__).resolve().parents[2]
N = 200

WRITER = textwrap.dedent(
    """
    import sys
    from revops_tui.targets.store import TargetStore
    path, kpi, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = TargetStore(path, user=kpi, lock_timeout=30)
    for i in range(n):
        # each save adds a new dated target, so a lost update would lose a month
        store.set(kpi, i, month=f"{2000 + i // 12:04d}-{i % 12 + 1:02d}")
    """
)


@pytest.fixture
def folder(tmp_path):
    """A tmpfs folder when there is one: fsync costs nothing there, so the test
    measures locking and merging, not the disk (it runs in a few seconds)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        with tempfile.TemporaryDirectory(dir=shm) as name:
            yield Path(name)
    else:
        yield tmp_path


def test_two_processes_saving_different_kpis_lose_nothing(folder):
    tmp_path = folder
    path = tmp_path / "targets.toml"
    path.write_text('[arr]\nvalue = 5\nkeep = "me"\n', encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), kpi, str(N)], env=env,
                         stderr=subprocess.PIPE, text=True)
        for kpi in ("mrr", "new_leads")  # targets with no upper bound (0..199)
    ]
    reader = TargetStore(path)
    reads = 0
    while any(p.poll() is None for p in procs):
        snap = reader.load()  # a reader never sees a half-written file
        assert snap.ok, snap.error
        reads += 1
        time.sleep(0.01)
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    assert time.monotonic() - started < 20

    snap = reader.load()
    assert snap.ok and reads > 0
    assert len(snap.warnings) == 1 and "unknown key 'keep'" in snap.warnings[0]
    for kpi in ("mrr", "new_leads"):
        target = snap.targets[kpi]
        assert len(target.months) == N
        assert sorted(target.months.values()) == list(range(N))
        assert target.updated_by == kpi
    assert snap.targets["arr"].value == 5 and snap.targets["arr"].extra == {"keep": "me"}
    history = reader.history()
    assert len(history) == 2 * N
    assert sorted(e["new"] for e in history if e["kpi"] == "mrr") == list(range(N))
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []

"""A save that fails or is killed at any point leaves the old or the new file, never a torn one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from revops_tui.targets import store as store_module
from revops_tui.targets.store import SAVE_STEPS, TargetStore

ROOT = Path(__file__).resolve().parents[2]

OLD = """\
[mrr]
value = 100
updated_by = "carol"
note = "kept"

[nps]
value = 30

[not_a_kpi]
value = 1
"""

COMMIT = SAVE_STEPS.index("replaced")


def classify(path: Path, old: bytes) -> str:
    """"old" when the file is byte-for-byte the old one, "new" when it is the full new one."""
    data = path.read_bytes()
    if data == old:
        return "old"
    doc = tomllib.loads(data.decode("utf-8"))  # a torn file would fail here
    before = tomllib.loads(old.decode("utf-8"))
    assert doc["mrr"]["value"] == 1 and doc["mrr"]["note"] == "kept"
    assert {k: v for k, v in doc.items() if k != "mrr"} == {k: v for k, v in before.items() if k != "mrr"}
    return "new"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def old_file(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "targets.toml"
    path.write_text(OLD, encoding="utf-8")
    return path, path.read_bytes()


def test_steps_are_all_reached_in_order(old_file):
    path, _ = old_file
    seen: list[str] = []
    store_module.STEP_HOOK = seen.append
    TargetStore(path).set("mrr", 1)
    assert tuple(seen) == SAVE_STEPS


@pytest.mark.parametrize("step", SAVE_STEPS)
def test_failure_between_steps(old_file, step):
    path, old = old_file
    store = TargetStore(path, user="alice", lock_timeout=1)

    def hook(name: str) -> None:
        if name == step:
            raise RuntimeError(f"injected at {name}")

    store_module.STEP_HOOK = hook
    with pytest.raises(RuntimeError, match="injected"):
        store.set("mrr", 1)
    store_module.STEP_HOOK = None

    expected = "old" if SAVE_STEPS.index(step) < COMMIT else "new"
    assert classify(path, old) == expected
    assert leftovers(path.parent) == []  # the temp files were cleaned up
    if SAVE_STEPS.index(step) >= SAVE_STEPS.index("backup_written"):
        assert store.backup_path.read_bytes() == old
    else:
        assert not store.backup_path.exists()
    # the lock was released and the next save works
    assert store.set("nps", 31).value == 31
    assert store.load().targets["nps"].value == 31


KILL_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from revops_tui.targets import store as s
    path, step, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "step":
        def hook(name):
            if name == step:
                os._exit(9)  # like a kill: no cleanup, no finally
        s.STEP_HOOK = hook
    else:  # die in the middle of writing the main temp file ("main") or the backup ("bak")
        if mode == "bak":  # no hard links here: the backup is copied byte by byte
            def no_link(*a, **k):
                raise OSError(1, "links not supported")
            os.link = no_link
        calls = []
        real = s._write_all
        def torn(fd, data):
            calls.append(1)
            if (mode == "main" and len(calls) == 1) or (mode == "bak" and len(calls) == 2):
                os.write(fd, data[: len(data) // 2])
                os.fsync(fd)
                os._exit(9)
            real(fd, data)
        s._write_all = torn
    s.TargetStore(path, user="killed").set("mrr", 1)
    os._exit(0)
    """
)


def run_killed(path: Path, step: str, mode: str = "step") -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(path), step, mode],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 9), proc.stderr
    return proc.returncode


@pytest.mark.parametrize("step", SAVE_STEPS)
def test_kill_between_steps(old_file, step):
    path, old = old_file
    assert run_killed(path, step) == 9
    expected = "old" if SAVE_STEPS.index(step) < COMMIT else "new"
    assert classify(path, old) == expected
    store = TargetStore(path, user="alice", lock_timeout=2)
    assert store.load().ok
    # The dead process's lock is gone; the next save works and sweeps its temp files.
    store.set("nps", 31)
    assert leftovers(path.parent) == []
    assert store.load().targets["nps"].value == 31


@pytest.mark.parametrize("mode", ["main", "bak"])
def test_kill_in_the_middle_of_a_write(old_file, mode):
    path, old = old_file
    assert run_killed(path, "-", mode) == 9
    assert classify(path, old) == "old"
    assert leftovers(path.parent)  # a half-written temp file was left behind...
    store = TargetStore(path, lock_timeout=2)
    store.set("mrr", 1)
    assert classify(path, old) == "new"
    assert leftovers(path.parent) == []  # ...and swept by the next save


LOOP_SCRIPT = textwrap.dedent(
    """
    import sys
    from revops_tui.targets.store import TargetStore
    store = TargetStore(sys.argv[1], user="loop")
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        store.set("mrr", i)
    """
)


def test_sigkill_at_random_moments(old_file):
    path, old = old_file
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(5)
    last = 0.0
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", LOOP_SCRIPT, str(path)], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.005, 0.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        snap = TargetStore(path).load()
        assert snap.ok, snap.error
        value = snap.targets["mrr"].value
        assert value >= 1 or last == 0.0
        assert snap.targets["nps"].value == 30
        assert tomllib.loads(path.read_text())["mrr"]["note"] == "kept"
        last = value
    # history may end with a torn line; it still reads, and the next save repairs it
    store = TargetStore(path, lock_timeout=2)
    store.set("nps", 1)
    assert store.history("nps")[-1]["new"] == 1.0

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from revops_tui.targets import store as store_module
from revops_tui.targets.store import TargetStore


@pytest.fixture(autouse=True)
def _no_step_hook():
    store_module.STEP_HOOK = None
    yield
    store_module.STEP_HOOK = None


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "targets.toml"


@pytest.fixture
def store(path: Path) -> TargetStore:
    return TargetStore(path, user="alice", lock_timeout=2)


@pytest.fixture
def restore_modes(tmp_path: Path):
    """chmod'ed files/folders are made writable again so tmp_path can be cleaned."""
    changed: list[Path] = []
    yield changed
    for p in changed:
        try:
            os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR | stat.S_IXUSR | stat.S_IRUSR)
        except OSError:
            pass

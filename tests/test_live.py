"""Watching the data folder, the config and the targets file."""

import threading
import time
from pathlib import Path

from revops_tui.config import Settings
from revops_tui.live import Touched, changes, classify, watched_paths


def settings_in(tmp_path: Path) -> Settings:
    (tmp_path / "data").mkdir()
    (tmp_path / "config.toml").write_text('data = "data"\n')
    return Settings(data=tmp_path / "data", config_path=tmp_path / "config.toml",
                    targets_file=tmp_path / "targets.toml")


def test_classify(tmp_path):
    s = settings_in(tmp_path)
    t = classify({str(tmp_path / "data" / "usage" / "part-1.parquet"), str(tmp_path / "targets.toml")}, s)
    assert t.data and t.targets and not t.config
    assert not classify({str(tmp_path / "data" / ".tmp.swp"), str(tmp_path / "targets.toml.lock")}, s)
    assert classify({str(tmp_path / "config.toml")}, s) == Touched(config=True, paths=(str(tmp_path / "config.toml"),))
    assert watched_paths(s) == [(tmp_path / "data").resolve()]


def watch_while(s: Settings, act, done, debounce_ms: int) -> list[Touched]:
    """Run the watcher in a thread, do `act`, wait (up to 10 s) until `done(seen)`, stop."""
    stop = threading.Event()
    seen: list[Touched] = []

    def run():
        for touched in changes(s, stop, debounce_ms=debounce_ms):
            seen.append(touched)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(0.4)
    act()
    deadline = time.time() + 10
    while not done(seen) and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    return seen


def test_a_multi_file_export_is_one_change(tmp_path):
    s = settings_in(tmp_path)

    def export():
        for name in ("customers", "subscriptions", "leads"):
            (tmp_path / "data" / f"{name}.parquet").write_bytes(b"x")
            time.sleep(0.05)

    seen = watch_while(s, export, bool, debounce_ms=400)
    assert len(seen) == 1 and seen[0].data
    assert len([p for p in seen[0].paths if p.endswith(".parquet")]) == 3


def test_config_and_targets_files_are_polled(tmp_path):
    s = settings_in(tmp_path)
    seen = watch_while(s, lambda: (tmp_path / "targets.toml").write_text("[mrr]\nvalue = 1\n"),
                       lambda seen: any(t.targets for t in seen), debounce_ms=200)
    assert any(t.targets and not t.data for t in seen)

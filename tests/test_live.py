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


def watch_while(s: Settings, act, done, debounce_ms: int = 1000, max_wait_ms: int = 4000,
                settle: float = 0.0) -> list[Touched]:
    """Run the watcher in a thread, do `act`, wait (up to 10 s) until `done(seen)`, then `settle`
    seconds more (to see whether anything else is reported), stop."""
    stop = threading.Event()
    seen: list[Touched] = []

    def run():
        for touched in changes(s, stop, debounce_ms=debounce_ms, max_wait_ms=max_wait_ms):
            seen.append(touched)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(0.4)
    act()
    deadline = time.time() + 10
    while not done(seen) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(settle)
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


def test_writes_a_few_hundred_ms_apart_are_one_reload(tmp_path):
    """The default quiet time is about a second: an export whose files land 0.3 s apart is one
    change (watchfiles' own `step` alone reported each after 0.1 s: a half-applied export)."""
    s = settings_in(tmp_path)

    def export():
        for name in ("customers", "subscriptions"):
            (tmp_path / "data" / f"{name}.parquet").write_bytes(b"x")
            time.sleep(0.3)

    seen = watch_while(s, export, bool, settle=1.5)
    assert len(seen) == 1 and seen[0].data
    assert len([p for p in seen[0].paths if p.endswith(".parquet")]) == 2


def test_a_stream_of_writes_still_refreshes(tmp_path):
    """Never quiet: the changes are reported after at most `max_wait_ms`."""
    s = settings_in(tmp_path)
    started = time.monotonic()

    def stream():
        for i in range(20):
            (tmp_path / "data" / f"part-{i}.parquet").write_bytes(b"x")
            time.sleep(0.15)

    seen = watch_while(s, stream, bool, debounce_ms=1000, max_wait_ms=1500)
    assert seen and seen[0].data
    assert time.monotonic() - started < 3.5  # before the 3 s of writes had ended and gone quiet


def test_a_swapped_data_folder_is_followed(tmp_path):
    """`mv data data.old && mv data.new data`: inotify follows the old folder's inode; the poll
    sees another folder at the path, reports a data change and watches the new one."""
    s = settings_in(tmp_path)
    (tmp_path / "data.new").mkdir()

    def swap_then_write():
        (tmp_path / "data").rename(tmp_path / "data.old")
        (tmp_path / "data.new").rename(tmp_path / "data")
        time.sleep(1.0)
        (tmp_path / "data.old" / "stale.parquet").write_bytes(b"x")  # the old folder: not watched
        (tmp_path / "data" / "customers.parquet").write_bytes(b"x")

    seen = watch_while(s, swap_then_write, lambda seen: len(seen) >= 2, debounce_ms=300, settle=0.6)
    assert len(seen) == 2 and all(t.data for t in seen)
    assert [p for p in seen[1].paths if p.endswith(".parquet")] == [str(tmp_path / "data" / "customers.parquet")]


def test_a_symlink_swap_is_followed(tmp_path):
    s = settings_in(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    link = tmp_path / "current"
    link.symlink_to(tmp_path / "a")
    s = Settings(data=link, config_path=s.config_path, targets_file=s.targets_file)

    def swap():
        tmp = tmp_path / "current.tmp"
        tmp.symlink_to(tmp_path / "b")
        tmp.rename(link)

    seen = watch_while(s, swap, bool, debounce_ms=300)
    assert seen and seen[0].data

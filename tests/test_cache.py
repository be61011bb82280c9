"""The results cache: same inputs hit, a changed file / filter / setting misses, disk round trip."""

import os
from pathlib import Path
import time

from revops_tui import session
from revops_tui.cache import ResultsCache, cache_key, file_signature, from_json, to_json
from revops_tui.config import Settings
from revops_tui.kpis.results import Filters
from tests.builders import frame, sub


def make(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    frame("subscriptions", [sub("c1", 100, "2024-01-05")]).collect().write_parquet(folder / "subscriptions.parquet")
    return Settings(data=folder, as_of="2024-02-15", months=2)


def test_key_changes_with_inputs(tmp_path):
    settings = make(tmp_path)
    key = cache_key(settings, Filters(), file_signature(settings))
    assert key == cache_key(settings, Filters(), file_signature(settings))
    assert key != cache_key(settings, Filters.of(segment=["SMB"]), file_signature(settings))
    assert key != cache_key(settings.with_overrides(months=3), Filters(), file_signature(settings))
    path = settings.data / "subscriptions.parquet"
    later = time.time_ns() + 5_000_000_000
    os.utime(path, ns=(later, later))
    assert key != cache_key(settings, Filters(), file_signature(settings))
    assert cache_key(Settings(data="s3://b/p"), Filters(), None) is None


def test_key_changes_with_the_programs_code(tmp_path, monkeypatch):
    # Results saved by other code (an upgrade that changed a formula) are not served as current.
    from revops_tui import cache

    settings = make(tmp_path)
    key = cache_key(settings, Filters(), file_signature(settings))
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another version")
    assert key != cache_key(settings, Filters(), file_signature(settings))
    # The fingerprint follows the version and the package's source files.
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "engine.py").write_text("x = 1\n")
    before = cache.source_fingerprint(package, "1.0")
    assert before == cache.source_fingerprint(package, "1.0")
    assert before != cache.source_fingerprint(package, "1.1")
    (package / "engine.py").write_text("x = 22\n")
    assert before != cache.source_fingerprint(package, "1.0")


def test_disk_round_trip(tmp_path):
    settings = make(tmp_path)
    results = session.run(settings).results
    again = from_json(to_json(results))
    assert again.as_of == results.as_of and again.months == results.months
    for kpi_id, r in results.kpis.items():
        assert again[kpi_id].series == r.series and again[kpi_id].reason == r.reason
    cache = ResultsCache(tmp_path / "cache")
    key = cache_key(settings, Filters(), file_signature(settings))
    cache.put(key, results)
    fresh = ResultsCache(tmp_path / "cache")  # a restart: memory empty, disk has it
    assert fresh.get(key)["mrr"].series == results["mrr"].series
    assert fresh.get("nope") is None
    (tmp_path / "cache" / f"{key}.json").write_text("{broken")
    assert ResultsCache(tmp_path / "cache").get(key) is None


def test_results_of_files_that_changed_while_computing_are_not_cached(tmp_path, monkeypatch):
    """session.run keys results by the files' signature before reading them; a file written
    meanwhile (its new bytes may be in the results) means they are not that key's: not kept."""
    import shutil

    from revops_tui import session
    from revops_tui.kpis import engine

    data = tmp_path / "data"
    shutil.copytree(Path(__file__).parent.parent / "data", data)
    settings = session.settings_from_options(config=str(Path(__file__).parent.parent / "config.toml"),
                                             data=str(data))[0]
    cache = ResultsCache(tmp_path / "cache")
    real = engine.compute

    def compute_while_an_export_lands(*args, **kwargs):
        results = real(*args, **kwargs)
        target = data / "tickets.parquet"
        target.write_bytes(target.read_bytes())
        os.utime(target, ns=(1, 1))
        return results

    monkeypatch.setattr(session, "compute", compute_while_an_export_lands)
    before = cache_key(settings, Filters(), file_signature(settings))
    snap = session.run(settings, cache=cache)
    assert snap.signature is not None and cache.get(before) is None
    monkeypatch.setattr(session, "compute", real)
    session.run(settings, cache=cache)
    assert session.cached(settings, Filters(), cache) is not None

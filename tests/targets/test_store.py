"""The targets file: reading, warnings, saving, merge, conflicts, read-only, history."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest

from revops_tui.targets.status import AT_RISK, NO_TARGET, ON_TRACK, Target, status
from revops_tui.targets.store import (
    HISTORY_NAME,
    UNSET,
    ConflictError,
    ReadOnlyError,
    TargetsError,
    TargetStore,
    UnknownKpiError,
)

VALID = """\
# hand-written
[mrr]
value = 120000
updated_by = "carol"

[cac]
value = 900.5
tolerance = 10

[win_rate]
value = 25
direction = "lower"

[win_rate.months]
2025-03 = 30
"""


def write(path: Path, text: str) -> bytes:
    path.write_text(text, encoding="utf-8")
    return path.read_bytes()


# -- reading ---------------------------------------------------------------

def test_missing_file_is_no_targets(store, path):
    snap = store.load()
    assert snap.ok and snap.targets == {} and snap.warnings == []
    assert snap.signature is None
    assert not path.exists()
    assert store.history() == []


def test_load_with_defaults(store, path):
    write(path, VALID)
    snap = store.load()
    assert snap.ok and snap.warnings == []
    mrr, cac, win = snap.targets["mrr"], snap.targets["cac"], snap.targets["win_rate"]
    assert (mrr.value, mrr.direction, mrr.tolerance, mrr.updated_by) == (120000.0, "higher", 5.0, "carol")
    assert (cac.value, cac.direction, cac.tolerance) == (900.5, "lower", 10.0)  # CAC: lower is better
    assert win.direction == "lower" and win.months == {"2025-03": 30.0}
    st = path.stat()
    assert snap.signature == (st.st_mtime_ns, st.st_size, st.st_ino)


def test_unknown_keys_and_ids_are_warnings_with_lines(store, path):
    write(path, """\
[mrr]
value = 100
owner = "alice"

[not_a_kpi]
value = 3

[nps]
value = "high"
direction = "up"
tolerance = -1

[nps.months]
2025-13 = 4
2025-02 = "x"
2025-01 = 30
""")
    snap = store.load()
    assert snap.ok
    assert set(snap.targets) == {"mrr", "nps"}
    assert snap.targets["mrr"].extra == {"owner": "alice"}
    nps = snap.targets["nps"]
    assert nps.value is None and nps.months == {"2025-01": 30.0}
    assert nps.direction == "higher" and nps.tolerance == 5.0
    text = "\n".join(snap.warnings)
    assert f"{path}:3: [mrr] unknown key 'owner'" in text
    assert f"{path}:5: unknown KPI id 'not_a_kpi'" in text
    assert f"{path}:9: [nps] value must be a number" in text
    assert f"{path}:10: [nps] direction must be 'higher' or 'lower'" in text
    assert f"{path}:11: [nps] tolerance must be" in text
    assert "2025-13" in text and "months.2025-02 must be a number" in text


def test_entry_without_value_is_no_target(store, path):
    write(path, "[mrr]\ndirection = 'higher'\n\n[arr]\nvalue = 'x'\n")
    snap = store.load()
    assert snap.targets == {}
    assert any("no value and no months" in w for w in snap.warnings)


def test_broken_file_is_an_error_naming_file_and_line(store, path):
    before = write(path, "[mrr]\nvalue = 100\ndirection = \n")
    snap = store.load()
    assert snap.targets == {} and snap.signature is not None
    assert snap.error and str(path) in snap.error and ":3:" in snap.error and "line 3" in snap.error


def test_not_utf8_is_an_error(store, path):
    path.write_bytes(b"[mrr]\nvalue = 1 # \xff\n")
    assert "not UTF-8" in store.load().error


def test_signature_changes_on_outside_edit(store, path):
    write(path, VALID)
    snap = store.load()
    assert not store.changed(snap)
    with open(path, "a", encoding="utf-8") as fh:  # an editor appending in place
        fh.write("\n[arr]\nvalue = 1\n")
    assert store.changed(snap)
    assert "arr" in store.load().targets
    path.unlink()
    assert store.changed(snap) and store.signature() is None


# -- saving ----------------------------------------------------------------

def test_set_creates_file_with_all_fields(store, path):
    target = store.set("mrr", "120k")
    assert target.value == 120000 and target.direction == "higher" and target.tolerance == 5
    assert target.updated_by == "alice" and target.updated_at.endswith("Z")
    doc = tomllib.loads(path.read_text())
    assert doc["mrr"] == {"value": 120000, "direction": "higher", "tolerance": 5,
                          "updated_at": target.updated_at, "updated_by": "alice"}
    assert isinstance(doc["mrr"]["value"], int)  # whole numbers written as integers
    assert store.load().targets["mrr"].same_content(target)
    assert not store.backup_path.exists()  # nothing to back up the first time


def test_set_keeps_direction_and_tolerance_unless_given(store):
    store.set("cac", 500, tolerance=10)
    t = store.set("cac", 450)
    assert (t.value, t.direction, t.tolerance) == (450, "lower", 10)
    t = store.set("cac", 450, direction="higher", tolerance="2.5%")
    assert (t.direction, t.tolerance) == ("higher", 2.5)


def test_set_validates(store, path):
    with pytest.raises(UnknownKpiError, match="unknown KPI id 'mrrr'.*did you mean mrr"):
        store.set("mrrr", 1)
    with pytest.raises(ValueError, match="not percent"):
        store.set("mrr", "5%")
    with pytest.raises(ValueError):
        store.set("mrr", "abc")
    with pytest.raises(ValueError):
        store.set("mrr", 1, direction="up-ish")
    with pytest.raises(ValueError):
        store.set("mrr", 1, month="2025-13")
    assert not path.exists()


def test_dated_targets(store, path):
    store.set("mrr", 100)
    t = store.set("mrr", 150, month="2025-4")
    assert t.value == 100 and t.months == {"2025-04": 150}
    assert status(145, t, "2025-04") == AT_RISK and status(145, t) == ON_TRACK
    assert store.unset("mrr", month="2025-04") is True
    assert store.load().targets["mrr"].months == {}
    assert "months" not in tomllib.loads(path.read_text())["mrr"]
    assert store.unset("mrr", month="2025-04") is False


def test_month_only_target(store, path):
    t = store.set("new_leads", 50, month="2025-03")
    assert t.value is None and t.months == {"2025-03": 50}
    assert "value" not in tomllib.loads(path.read_text())["new_leads"]
    assert status(60, t, "2025-03") == ON_TRACK and status(60, t, "2025-04") == NO_TARGET
    assert store.unset("new_leads", month="2025-03") is True
    assert "new_leads" not in tomllib.loads(path.read_text())  # nothing left: removed


def test_unset(store, path):
    store.set("mrr", 1)
    store.set("arr", 2)
    sig = store.signature()
    assert store.unset("nps") is False
    assert store.signature() == sig  # nothing removed: nothing written
    assert store.unset("mrr") is True
    assert set(store.load().targets) == {"arr"}
    with pytest.raises(UnknownKpiError):
        store.unset("zzz")


def test_unset_unknown_id_present_in_file(store, path):
    write(path, "[old_kpi]\nvalue = 1\n")
    assert store.unset("old_kpi") is True
    assert "old_kpi" not in tomllib.loads(path.read_text())


def test_unknown_keys_and_ids_survive_a_save(store, path):
    write(path, """\
top_note = "kept"

[mrr]
value = 100
owner = "alice"
since = 2024-01-01

[mrr.meta]
a = [1, 2]

[not_a_kpi]
value = 3
when = 1979-05-27T07:32:00Z
""")
    before = tomllib.loads(path.read_text())
    store.set("mrr", 200)
    store.set("nps", 30)
    after = tomllib.loads(path.read_text())
    assert after["top_note"] == "kept" and after["not_a_kpi"] == before["not_a_kpi"]
    for key in ("owner", "since", "meta"):
        assert after["mrr"][key] == before["mrr"][key]
    assert after["mrr"]["value"] == 200
    warnings = store.load().warnings
    assert any("unknown KPI id 'not_a_kpi'" in w for w in warnings)
    assert any("unknown KPI id 'top_note'" in w for w in warnings)
    assert any("unknown key 'owner'" in w for w in warnings)


def test_other_kpis_are_untouched_by_a_save(store, path):
    write(path, VALID)
    before = tomllib.loads(path.read_text())
    store.set("nps", 40)
    after = tomllib.loads(path.read_text())
    for kpi_id in ("mrr", "cac", "win_rate"):
        assert after[kpi_id] == before[kpi_id]


def test_backup_holds_the_previous_bytes(store, path):
    first = write(path, VALID)
    store.set("mrr", 1)
    assert store.backup_path.read_bytes() == first
    second = path.read_bytes()
    store.set("mrr", 2)
    assert store.backup_path.read_bytes() == second


def test_file_mode_is_kept(store, path):
    write(path, VALID)
    os.chmod(path, 0o640)
    store.set("mrr", 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_merge_with_changes_made_since_loading(path):
    a = TargetStore(path, user="alice")
    b = TargetStore(path, user="bob")
    a.load(), b.load()
    a.set("mrr", 1)
    b.set("nps", 2)  # b never saw mrr: the save re-reads the file and merges
    a.set("arr", 3)
    targets = a.load().targets
    assert {k: t.value for k, t in targets.items()} == {"mrr": 1, "nps": 2, "arr": 3}
    assert targets["nps"].updated_by == "bob"


def test_stale_temp_files_are_cleaned_by_the_next_save(store, path, tmp_path):
    write(path, VALID)
    stale = tmp_path / ".targets.toml.999.deadbeef.tmp"
    stale_bak = tmp_path / ".targets.toml.bak.999.deadbeef.tmp"
    other = tmp_path / ".other.toml.1.tmp"
    for p in (stale, stale_bak, other):
        p.write_text("half")
    store.set("mrr", 1)
    assert not stale.exists() and not stale_bak.exists() and other.exists()


# -- conflicts -------------------------------------------------------------

def test_conflict_on_the_same_kpi(path):
    alice = TargetStore(path, user="alice")
    bob = TargetStore(path, user="bob")
    alice.set("mrr", 100)
    seen_by_bob = bob.load().targets["mrr"]  # bob opens the editor
    alice.set("mrr", 150)  # alice saves meanwhile
    with pytest.raises(ConflictError) as info:
        bob.set("mrr", 200, base=seen_by_bob)
    err = info.value
    assert err.kpi_id == "mrr" and err.theirs.value == 150 and err.mine.value == 200
    assert "alice" in str(err)
    assert alice.load().targets["mrr"].value == 150  # nothing written
    assert bob.set("mrr", 200, base=seen_by_bob, force=True).value == 200  # "keep mine"
    assert len(bob.history("mrr")) == 3


def test_conflict_when_a_target_appeared_or_vanished(path):
    alice = TargetStore(path, user="alice")
    bob = TargetStore(path, user="bob")
    alice.set("nps", 30)
    with pytest.raises(ConflictError) as info:
        bob.set("nps", 40, base=None)  # bob saw no target
    assert info.value.theirs.value == 30
    seen = bob.load().targets["nps"]
    alice.unset("nps")
    with pytest.raises(ConflictError) as info:
        bob.set("nps", 40, base=seen)
    assert info.value.theirs is None
    alice.set("mrr", 10)
    with pytest.raises(ConflictError) as info:
        bob.unset("mrr", base=Target("mrr", 5.0))  # bob saw 5, removing 10 needs a choice
    assert info.value.mine is None and info.value.theirs.value == 10
    assert alice.load().targets["mrr"].value == 10


def test_no_conflict_without_a_real_change(path):
    alice = TargetStore(path, user="alice")
    bob = TargetStore(path, user="bob")
    alice.set("mrr", 100)
    seen = bob.load().targets["mrr"]
    alice.set("mrr", 100)  # re-saved, same content: not a conflict
    alice.set("nps", 10)  # another KPI: not a conflict
    assert bob.set("mrr", 120, base=seen).value == 120
    seen = bob.load().targets["mrr"]
    alice.set("mrr", 130)
    assert bob.set("mrr", 130, base=seen).value == 130  # both chose the same value
    assert bob.set("mrr", 1, base=UNSET).value == 1  # UNSET: no check
    alice.unset("arr")
    assert bob.unset("arr", base=None) is False


# -- broken and read-only --------------------------------------------------

def test_broken_file_is_never_written_over(store, path, tmp_path):
    before = write(path, "[mrr]\nvalue = 100\n[mrr]\nvalue = 200\n")  # duplicate table
    with pytest.raises(TargetsError, match=rf"{path}:\d+: not valid TOML"):
        store.set("nps", 1)
    with pytest.raises(TargetsError):
        store.unset("mrr")
    assert path.read_bytes() == before
    assert not store.backup_path.exists() and not store.history_path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.toml", "targets.toml.lock"]


def test_read_only_flag(path):
    before = write(path, VALID)
    ro = TargetStore(path, read_only=True)
    assert "read-only mode" in ro.writable()
    with pytest.raises(ReadOnlyError, match="read-only mode"):
        ro.set("mrr", 1)
    with pytest.raises(ReadOnlyError):
        ro.unset("mrr")
    assert path.read_bytes() == before
    assert ro.load().targets["mrr"].value == 120000  # reading still works


def test_read_only_file(store, path, restore_modes):
    before = write(path, VALID)
    os.chmod(path, 0o444)
    restore_modes.append(path)
    assert store.writable() == f"the targets file {path} is read-only"
    with pytest.raises(ReadOnlyError, match="is read-only"):
        store.set("mrr", 1)
    assert path.read_bytes() == before
    assert not store.lock_path.exists()


def test_read_only_folder(tmp_path, restore_modes):
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "targets.toml"
    before = write(path, VALID)
    os.chmod(folder, 0o555)
    restore_modes.append(folder)
    store = TargetStore(path)
    assert "folder" in store.writable() and "read-only" in store.writable()
    with pytest.raises(ReadOnlyError):
        store.set("mrr", 1)
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["targets.toml"]
    assert store.load().targets["mrr"].value == 120000


def test_missing_folder(tmp_path):
    store = TargetStore(tmp_path / "nope" / "targets.toml")
    assert "does not exist" in store.writable()
    assert store.load().ok
    with pytest.raises(ReadOnlyError):
        store.set("mrr", 1)


def test_remote_targets_file_is_not_editable():
    store = TargetStore("s3://bucket/targets.toml")
    assert "not a local file" in store.writable()
    assert store.load().error


def test_lock_timeout_when_another_save_hangs(store, path):
    import fcntl

    store.set("mrr", 1)
    fd = os.open(store.lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        store.lock_timeout = 0.2
        with pytest.raises(TargetsError, match="another save holds the lock"):
            store.set("mrr", 2)
    finally:
        os.close(fd)
    assert store.load().targets["mrr"].value == 1
    assert store.set("mrr", 3).value == 3


# -- history ---------------------------------------------------------------

def test_history_lines(store, path):
    store.set("mrr", 100)
    store.set("mrr", 120, tolerance=10)
    store.set("mrr", 130, month="2025-04")
    store.set("nps", 30)
    store.unset("mrr", month="2025-04")
    store.unset("mrr")
    lines = (path.parent / HISTORY_NAME).read_text().splitlines()
    assert len(lines) == 6
    entries = [json.loads(line) for line in lines]
    assert all(e["by"] == "alice" and e["at"].endswith("Z") for e in entries)
    mrr = store.history("mrr")
    assert [(e["action"], e["month"], e["old"], e["new"]) for e in mrr] == [
        ("set", None, None, 100.0),
        ("set", None, 100.0, 120.0),
        ("set", "2025-04", None, 130.0),
        ("unset", "2025-04", 130.0, None),
        ("unset", None, 120.0, None),
    ]
    assert mrr[1]["tolerance"] == 10.0 and mrr[-1]["tolerance"] is None
    assert [e["kpi"] for e in store.history()] == ["mrr"] * 3 + ["nps", "mrr", "mrr"]


def test_history_survives_a_torn_line(store, path):
    store.set("mrr", 1)
    with open(store.history_path, "a", encoding="utf-8") as fh:
        fh.write('{"at": "2025-01-01T00:00:00Z", "kpi": "mr')  # killed mid-append
    store.set("mrr", 2)
    assert [e["new"] for e in store.history("mrr")] == [1.0, 2.0]
    assert store.history_path.read_text().endswith("}\n")


def test_history_problem_does_not_undo_the_save(store, path, tmp_path):
    (tmp_path / HISTORY_NAME).mkdir()  # cannot be opened as a file
    t = store.set("mrr", 5)
    assert t.value == 5 and store.load().targets["mrr"].value == 5
    assert "history" in store.last_warning


def test_an_edit_that_ignores_the_lock_is_not_lost(store, path):
    """An editor saving between our read and our replace: the save starts over and merges."""
    from revops_tui.targets import store as store_module

    write(path, VALID)
    done = []

    def editor_saves_meanwhile(step: str) -> None:
        if step == "merged" and not done:
            done.append(1)
            with open(path, "a", encoding="utf-8") as fh:
                fh.write("\n[arr]\nvalue = 7\n")

    store_module.STEP_HOOK = editor_saves_meanwhile
    store.set("mrr", 1)
    store_module.STEP_HOOK = None
    targets = store.load().targets
    assert targets["arr"].value == 7 and targets["mrr"].value == 1
    assert "[arr]" in store.backup_path.read_text()  # the backup is the version we replaced


def test_backup_falls_back_to_a_copy_without_hard_links(store, path, monkeypatch):
    first = write(path, VALID)

    def no_link(*args, **kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    store.set("mrr", 1)
    assert store.backup_path.read_bytes() == first
    assert stat.S_IMODE(store.backup_path.stat().st_mode) == stat.S_IMODE(path.stat().st_mode)


def test_a_symlinked_targets_file_is_saved_in_place(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "targets.toml"
    real.write_text("[mrr]\nvalue = 1\n", encoding="utf-8")
    link = tmp_path / "targets.toml"
    link.symlink_to(real)
    store = TargetStore(link)
    store.set("nps", 5)
    assert link.is_symlink()  # still a link, not replaced by a copy
    assert set(tomllib.loads(real.read_text())) == {"mrr", "nps"}
    assert (shared / "targets.toml.bak").exists() and (shared / HISTORY_NAME).exists()


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "targets.toml"
    os.mkfifo(fifo)
    store = TargetStore(fifo)
    assert store.writable() == f"the targets file {fifo} is a FIFO, not a regular file"
    snap = store.load()  # must not block
    assert snap.error is not None and "is a FIFO, not a regular file" in snap.error
    with pytest.raises(ReadOnlyError, match="not a regular file"):
        store.set("mrr", 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.toml"]


def test_a_device_is_not_a_regular_file():
    from revops_tui.targets.store import _not_regular

    device = os.stat_result((stat.S_IFCHR | 0o666, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    assert _not_regular(device) == "is a device"
    assert _not_regular(os.stat_result((stat.S_IFREG | 0o644, 0, 0, 0, 0, 0, 0, 0, 0, 0))) is None


def test_a_bad_dated_month_is_reported_on_its_line(store, path):
    write(path, '# targets\n\n[mrr]\nvalue = 5\n\n[mrr.months]\n"2026-12" = 6\n"2026-13" = 7\n"2027-01" = "x"\n')
    snap = store.load()
    bad_month = next(w for w in snap.warnings if "2026-13" in w)
    bad_value = next(w for w in snap.warnings if "2027-01" in w)
    assert bad_month.startswith(f"{path}:8: [mrr]") and bad_value.startswith(f"{path}:9: [mrr]")
    assert snap.invalid == [bad_month, bad_value]
    write(path, '[mrr]\nvalue = 5\nmonths = { "2026-13" = 7 }\n')
    assert store.load().warnings[0].startswith(f"{path}:3: [mrr]")  # inline table: the `months` line

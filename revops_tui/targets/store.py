"""The targets file: read, validate, and save without ever losing or tearing it.

File layout (TOML, written with tomli-w), one table per KPI id::

    [mrr]
    value = 120000
    direction = "higher"        # default: the KPI's `better`
    tolerance = 5               # percent, default 5
    updated_at = "2025-03-04T10:11:12Z"
    updated_by = "alice"

    [mrr.months]                # optional dated targets, override `value`
    2025-04 = 125000

Unknown keys and unknown KPI ids are kept as they are on save and reported as
warnings. A missing file means "no targets". A file that does not parse is
never written over.

A save (`TargetStore.set` / `unset`) runs these steps, each followed by a
call to `_step(name)` (names in SAVE_STEPS) so a test can fail or kill the
process between any two of them:

    lock           exclusive fcntl.flock on "<file>.lock" beside the file
    read           re-read and parse the file under the lock (refuse if broken)
    merged         conflict check; change only the edited KPI's table; dump TOML
    temp_written   write ".<file>.<pid>.<token>.tmp" in the same folder
    temp_synced    flush + fsync the temp file
    backup_written previous version -> "<file>.bak" (hard link of the old file
                   to a temp name + os.replace; where links fail: bytes + fsync)
    replaced       os.replace(temp, file)       <- the one commit point
                   (just before it: if the file changed since `read` -- an
                   editor ignoring the lock -- the save starts over from `read`)
    dir_synced     fsync the folder
    history_written one JSON line appended to "targets-history.jsonl" + fsync
    (unlock)

Before `replaced` the file is the old version, from it on the new one; a torn
file is impossible because the file's name only ever points at a complete,
fsynced file. Leftover temp files from a killed save are removed by the next
save (under the lock, so they cannot belong to a running save).
"""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import fcntl
import getpass
import json
import math
import os
import re
import secrets
import stat
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from revops_tui.kpis.catalog import CATALOG, Kpi
from revops_tui.toml_lines import assigns, walk
from revops_tui.targets.status import Target
from revops_tui.targets.values import (
    DEFAULT_TOLERANCE,
    DIRECTIONS,
    parse_direction,
    parse_month,
    parse_tolerance,
    parse_target,
)

HISTORY_NAME = "targets-history.jsonl"
HEADER = (
    "# KPI targets for revops-tui, shared by everyone using this file.\n"
    "# Written by the app (`t` on a card) and by `revops-tui targets set/unset`.\n"
    "# Comments in this file are not kept when the app saves it.\n\n"
)

SAVE_STEPS = (
    "lock",
    "read",
    "merged",
    "temp_written",
    "temp_synced",
    "backup_written",
    "replaced",
    "dir_synced",
    "history_written",
)

# Test hook: called with each step name right after that step completed.
STEP_HOOK: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if STEP_HOOK is not None:
        STEP_HOOK(name)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""`base` default: do not check for conflicting edits (last writer wins)."""

_MISSING: Any = object()


class TargetsError(Exception):
    """The targets file cannot be read or saved; the message says which file and why."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line


class ReadOnlyError(TargetsError):
    """Editing is not allowed (read-only mode, file or folder)."""


class UnknownKpiError(TargetsError):
    """A KPI id that is not in the catalog."""


class ConflictError(TargetsError):
    """The KPI's target changed on disk since the user opened the editor.

    `theirs` is what the file holds now, `mine` what this save would have
    written (None for a removal). Save again with force=True to keep mine.
    """

    def __init__(self, kpi_id: str, mine: Target | None, theirs: Target | None, path: Path):
        super().__init__(
            f"the target of {kpi_id} was changed in {path} by "
            f"{(theirs.updated_by if theirs else None) or 'someone else'} since you opened it",
            path,
        )
        self.kpi_id = kpi_id
        self.mine = mine
        self.theirs = theirs


@dataclass
class TargetsSnapshot:
    """What `TargetStore.load` found.

    `error` is set (and `targets` empty) when the file exists but cannot be
    read or parsed: show it, keep running without targets, refuse to save.
    `signature` is (mtime_ns, size, inode), None when the file is missing;
    compare it with `TargetStore.signature()` to notice outside edits.
    """

    path: Path
    targets: dict[str, Target] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    signature: tuple[int, int, int] | None = None
    error: str | None = None
    invalid: list[str] = field(default_factory=list)  # the warnings about unusable entries

    @property
    def ok(self) -> bool:
        return self.error is None


def current_user() -> str:
    """The login name for `updated_by` / history."""
    try:
        name = getpass.getuser()
        if name:
            return name
    except Exception:  # no USER/LOGNAME and no passwd entry (containers)
        pass
    return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _toml_number(value: float) -> int | float:
    """Whole numbers are written as integers (12000, not 12000.0)."""
    value = float(value)
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _line_of(text: str, table: str, key: str | None = None) -> int | None:
    """1-based line of `[table]` (key None) or of `key = ...` inside it or its subtables.

    A key "months.M" is the month M in [table.months], else the line of `months`. A table written
    at the top level (`mrr = {...}`, `mrr.value = 1`) is found there.
    """
    lines = list(walk(text))
    if key is not None and key.startswith("months."):
        month = key.split(".", 1)[1]
        for number, current, line, header in lines:
            if not header and current == (table, "months") and assigns(line, month):
                return number
        key = "months"
    header_line = None
    for number, current, line, header in lines:
        if header:
            if current == (table,) and header_line is None:
                header_line = number
                if key is None:
                    return number
        elif not current:  # top level: `mrr = {...}` or `mrr.value = 1`
            m = re.match(r"""^\s*["']?([^"'.=\s]+)["']?\s*(?:\.\s*["']?([^"'.=\s]+)["']?)?""", line)
            if m and m.group(1) == table and (key is None or m.group(2) in (key, None)):
                return number
        elif current[0] == table and key is not None and assigns(line, key, dotted=True):
            return number
    return header_line


def _toml_error(path: Path, exc: Exception) -> TargetsError:
    message = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if m:
        line = int(m.group(1))
        problem = message[: m.start()].rstrip()
        return TargetsError(
            f"{path}:{line}: not valid TOML: {problem} (line {line}, column {m.group(2)})",
            path, line,
        )
    return TargetsError(f"{path}: not valid TOML: {message}", path)


def parse_text(data: bytes, path: Path) -> dict[str, Any]:
    """The raw TOML document; TargetsError naming file and line when it does not parse."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TargetsError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, exc) from None


def target_from_table(kpi_id: str, table: Any, kpi: Kpi | None,
                      warn: Callable[[str | None, str], None] | None = None) -> Target | None:
    """A Target from one raw TOML table; problems go to warn(key, message).

    Returns None when the table holds no usable target (no valid value and
    no valid month).
    """
    def _warn(key: str | None, message: str) -> None:
        if warn is not None:
            warn(key, message)

    better = kpi.better if kpi is not None else "higher"
    if not isinstance(table, dict):
        _warn(None, f"must be a table like [{kpi_id}] with value = ..., found {table!r}; ignored")
        return None
    value: float | None = None
    if "value" in table:
        if _is_number(table["value"]):
            value = float(table["value"])
        else:
            _warn("value", f"value must be a number, found {table['value']!r}; ignored")
    direction = table.get("direction", better)
    if direction not in DIRECTIONS:
        _warn("direction", f"direction must be 'higher' or 'lower', found {direction!r}; using {better!r}")
        direction = better
    tolerance = table.get("tolerance", DEFAULT_TOLERANCE)
    if not _is_number(tolerance) or tolerance < 0:
        _warn("tolerance", f"tolerance must be a number >= 0 (percent), found {tolerance!r}; "
                           f"using {DEFAULT_TOLERANCE:g}")
        tolerance = DEFAULT_TOLERANCE
    months: dict[str, float] = {}
    raw_months = table.get("months", {})
    if not isinstance(raw_months, dict):
        _warn("months", f"months must be a table of \"YYYY-MM\" = value, found {raw_months!r}; ignored")
        raw_months = {}
    for key, month_value in raw_months.items():
        try:
            month = parse_month(key)
        except ValueError as exc:
            _warn(f"months.{key}", f"months: {exc}; ignored")
            continue
        if not _is_number(month_value):
            _warn(f"months.{key}", f"months.{key} must be a number, found {month_value!r}; ignored")
            continue
        months[month] = float(month_value)
    updated_at = table.get("updated_at")
    if isinstance(updated_at, (dt.datetime, dt.date)):
        updated_at = updated_at.isoformat()
    elif updated_at is not None and not isinstance(updated_at, str):
        updated_at = str(updated_at)
    updated_by = table.get("updated_by")
    if updated_by is not None and not isinstance(updated_by, str):
        updated_by = str(updated_by)
    known = {"value", "direction", "tolerance", "months", "updated_at", "updated_by"}
    extra = {k: v for k, v in table.items() if k not in known}
    for key in extra:
        _warn(key, f"unknown key '{key}' (kept in the file, not used)")
    if value is None and not months:
        if "value" not in table:
            _warn(None, "has no value and no months; no target")
        return None
    return Target(kpi_id, value, direction, float(tolerance), months, updated_at, updated_by, extra)


# Keys whose bad value makes a KPI's target unusable (None: the entry as a whole).
_TARGET_KEYS = {None, "value", "direction", "tolerance", "months"}


def targets_from_doc(doc: Mapping[str, Any], text: str, path: Path, catalog: Mapping[str, Kpi],
                     invalid: list[str] | None = None) -> tuple[dict[str, Target], list[str]]:
    """Targets of the catalog's KPIs, and warnings naming file, line and key.

    Warnings about an entry of a known KPI that cannot be used as written (a bad value,
    direction, tolerance or month) are also appended to `invalid`; unknown keys and KPI ids
    are only warnings.
    """
    targets: dict[str, Target] = {}
    warnings: list[str] = []
    for kpi_id, table in doc.items():
        if kpi_id not in catalog:
            line = _line_of(text, kpi_id)
            where = f"{path}:{line}" if line else f"{path}"
            hint = difflib.get_close_matches(kpi_id, list(catalog), n=1)
            also = f"; did you mean '{hint[0]}'?" if hint else ""
            warnings.append(f"{where}: unknown KPI id '{kpi_id}' (kept in the file, not used){also}")
            continue

        def warn(key: str | None, message: str, _id: str = kpi_id) -> None:
            line = _line_of(text, _id, key)
            where = f"{path}:{line}" if line else f"{path}"
            warnings.append(f"{where}: [{_id}] {message}")
            if invalid is not None and (key in _TARGET_KEYS or key.startswith("months.")):
                invalid.append(warnings[-1])

        target = target_from_table(kpi_id, table, catalog[kpi_id], warn)
        if target is not None:
            targets[kpi_id] = target
    return targets, warnings


def _same(a: Target | None, b: Target | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.same_content(b)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable; best effort (some filesystems cannot fsync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _not_regular(st: os.stat_result) -> str | None:
    """What the targets path is when it is not a regular file ("is a folder", ...)."""
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder"
    if stat.S_ISFIFO(mode):
        return "is a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is a special file"


def _no_write_bits(st: os.stat_result) -> bool:
    return stat.S_IMODE(st.st_mode) & 0o222 == 0


class TargetStore:
    """The targets file of one config; safe for many processes at once."""

    def __init__(self, path: Path | str, read_only: bool = False,
                 catalog: Mapping[str, Kpi] = CATALOG, user: str | None = None,
                 lock_timeout: float = 10.0):
        self.remote = isinstance(path, str) and "://" in path
        # Absolute, with symlinks followed: a targets.toml that links to a shared file
        # is saved in place of that file (os.replace would turn the link into a copy).
        self.path = Path(path).expanduser().resolve() if not self.remote else Path(str(path))
        self._raw_path = str(path)
        self.read_only = read_only
        self.catalog = catalog
        self.user = user
        self.lock_timeout = lock_timeout
        self.last_warning: str | None = None  # e.g. history could not be written

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> "TargetStore":
        return cls(settings.targets_file, read_only=bool(settings.read_only), **kwargs)

    # -- paths -------------------------------------------------------------
    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".bak")

    @property
    def history_path(self) -> Path:
        return self.path.with_name(HISTORY_NAME)

    def _temp_prefix(self, name: str | None = None) -> str:
        return f".{name or self.path.name}."

    # -- reading -----------------------------------------------------------
    def signature(self) -> tuple[int, int, int] | None:
        """(mtime_ns, size, inode) of the file now; None when missing or unreadable."""
        if self.remote:
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def changed(self, snapshot: TargetsSnapshot) -> bool:
        """True when the file differs from the one `snapshot` was read from."""
        return self.signature() != snapshot.signature

    def _read_bytes(self) -> tuple[bytes | None, os.stat_result | None]:
        try:  # O_NONBLOCK: opening a FIFO must not wait for a writer
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            return None, None
        try:
            st = os.fstat(fd)
            kind = _not_regular(st)
            if kind:
                raise OSError(errno.EINVAL, f"{kind}, not a regular file", str(self.path))
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks), st
        finally:
            os.close(fd)

    def load(self) -> TargetsSnapshot:
        """Read the file. Never raises for a bad file: see TargetsSnapshot.error."""
        snap = TargetsSnapshot(self.path)
        if self.remote:
            snap.error = f"targets_file {self._raw_path}: only a local file can hold targets"
            return snap
        try:
            data, st = self._read_bytes()
        except OSError as exc:
            snap.error = f"{self.path}: cannot read the targets file: {exc.strerror or exc}"
            snap.signature = self.signature()
            return snap
        if data is None or st is None:
            return snap
        snap.signature = (st.st_mtime_ns, st.st_size, st.st_ino)
        try:
            doc = parse_text(data, self.path)
        except TargetsError as exc:
            snap.error = str(exc)
            return snap
        snap.targets, snap.warnings = targets_from_doc(
            doc, data.decode("utf-8"), self.path, self.catalog, snap.invalid)
        return snap

    def get(self, kpi_id: str) -> Target | None:
        return self.load().targets.get(kpi_id)

    def history(self, kpi_id: str | None = None) -> list[dict[str, Any]]:
        """History entries (oldest first), optionally for one KPI; bad lines skipped."""
        try:
            text = self.history_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        entries = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            if kpi_id is None or entry.get("kpi") == kpi_id:
                entries.append(entry)
        return entries

    # -- may we write? -------------------------------------------------------
    def writable(self) -> str | None:
        """None when editing is allowed, else the reason (for a message)."""
        if self.read_only:
            return ("read-only mode (--read-only or read_only = true in the config): "
                    "targets cannot be edited")
        if self.remote:
            return f"targets_file {self._raw_path} is not a local file: targets cannot be edited"
        folder = self.path.parent
        try:
            folder_st = os.stat(folder)
        except OSError:
            return f"the folder {folder} of the targets file does not exist"
        if not stat.S_ISDIR(folder_st.st_mode):
            return f"{folder} is not a folder"
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            return f"the targets file {self.path} cannot be read: {exc.strerror or exc}"
        if st is not None:
            kind = _not_regular(st)
            if kind:
                return f"the targets file {self.path} {kind}, not a regular file"
            if not os.access(self.path, os.W_OK) or _no_write_bits(st):
                return f"the targets file {self.path} is read-only"
        if not os.access(folder, os.W_OK | os.X_OK) or _no_write_bits(folder_st):
            return (f"the folder {folder} is read-only (saving replaces the targets file "
                    "atomically, so its folder must be writable)")
        return None

    # -- saving ------------------------------------------------------------
    def set(self, kpi_id: str, value: float | str, direction: str | None = None,
            tolerance: float | None = None, month: str | None = None,
            base: Target | None | Any = UNSET, force: bool = False) -> Target:
        """Set a KPI's target (or its dated target for `month`) and save.

        direction / tolerance None keep the current ones (else the KPI's
        `better` and 5). `base` is the target as the user saw it when they
        started editing (None = there was none); when the file now holds a
        different target for this KPI, ConflictError unless force=True.
        Returns the saved target.
        """
        kpi = self.catalog.get(kpi_id)
        if kpi is None:
            raise self._unknown(kpi_id)
        number = parse_target(value, kpi)
        if direction is not None:
            direction = parse_direction(direction)
        if tolerance is not None:
            tolerance = parse_tolerance(tolerance)
        if month is not None:
            month = parse_month(month)
        who, when = self.user or current_user(), _now_utc()

        def change(old: Any) -> Any:
            entry = dict(old) if isinstance(old, dict) else {}
            current = target_from_table(kpi_id, entry, kpi) if entry else None
            if month is None:
                entry["value"] = _toml_number(number)
            entry["direction"] = direction or (current.direction if current else kpi.better)
            entry["tolerance"] = _toml_number(
                tolerance if tolerance is not None
                else (current.tolerance if current else DEFAULT_TOLERANCE))
            entry["updated_at"] = when
            entry["updated_by"] = who
            if month is not None:
                months = dict(entry["months"]) if isinstance(entry.get("months"), dict) else {}
                months[month] = _toml_number(number)
                entry["months"] = dict(sorted(months.items()))
            return entry

        new_entry = self._save(kpi_id, change, base, force, "set", month, number)
        target = target_from_table(kpi_id, new_entry, kpi)
        assert target is not None
        return target

    def unset(self, kpi_id: str, month: str | None = None,
              base: Target | None | Any = UNSET, force: bool = False) -> bool:
        """Remove a KPI's target (or only its dated target for `month`).

        Returns False when there was nothing to remove (nothing is written).
        A KPI id not in the catalog can be removed when the file has it.
        """
        if month is not None:
            month = parse_month(month)
        kpi = self.catalog.get(kpi_id)
        who, when = self.user or current_user(), _now_utc()

        def change(old: Any) -> Any:
            if old is _MISSING:
                if kpi is None:
                    raise self._unknown(kpi_id)
                return _NO_CHANGE
            if month is None:
                return _MISSING
            if not isinstance(old, dict) or not isinstance(old.get("months"), dict):
                return _NO_CHANGE
            months = dict(old["months"])
            if month not in months:
                return _NO_CHANGE
            del months[month]
            entry = dict(old)
            if months:
                entry["months"] = months
            else:
                del entry["months"]
                if "value" not in entry:  # nothing left: remove the whole target
                    return _MISSING
            entry["updated_at"] = when
            entry["updated_by"] = who
            return entry

        result = self._save(kpi_id, change, base, force, "unset", month, None)
        return result is not _NO_CHANGE

    def _unknown(self, kpi_id: str) -> UnknownKpiError:
        hint = difflib.get_close_matches(kpi_id, list(self.catalog), n=3)
        also = f"; did you mean {', '.join(hint)}?" if hint else "; the ids are the \"id\" fields of `revops-tui report --format json`"
        return UnknownKpiError(f"unknown KPI id '{kpi_id}'{also}", self.path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except PermissionError:
            try:  # a lock file created by another user: flock works read-only
                fd = os.open(self.lock_path, os.O_RDONLY)
            except OSError as exc:
                raise ReadOnlyError(f"cannot open the lock file {self.lock_path}: "
                                    f"{exc.strerror or exc}", self.path) from None
        except OSError as exc:
            raise TargetsError(f"cannot create the lock file {self.lock_path}: "
                               f"{exc.strerror or exc}", self.path) from None
        try:
            deadline = time.monotonic() + self.lock_timeout
            delay = 0.001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise TargetsError(
                            f"{self.path}: another save holds the lock {self.lock_path} "
                            f"for more than {self.lock_timeout:g} s; try again", self.path) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.002)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _save(self, kpi_id: str, change: Callable[[Any], Any], base: Any, force: bool,
              action: str, month: str | None, number: float | None) -> Any:
        reason = self.writable()
        if reason is not None:
            raise ReadOnlyError(reason, self.path)
        with self._locked():
            _step("lock")
            for _attempt in range(3):
                try:
                    return self._save_locked(kpi_id, change, base, force, action, month, number)
                except _FileChanged:
                    continue
            raise TargetsError(f"{self.path} keeps changing while saving (another program is "
                               "writing it); nothing was saved, try again", self.path)

    def _save_locked(self, kpi_id: str, change: Callable[[Any], Any], base: Any, force: bool,
                     action: str, month: str | None, number: float | None) -> Any:
        try:
            old_bytes, old_st = self._read_bytes()
        except OSError as exc:
            raise TargetsError(f"{self.path}: cannot read the targets file: "
                               f"{exc.strerror or exc}", self.path) from None
        doc = parse_text(old_bytes, self.path) if old_bytes is not None else {}
        self._remove_stale_temps()
        _step("read")

        kpi = self.catalog.get(kpi_id)
        old_raw = doc.get(kpi_id, _MISSING)
        new_raw = change(old_raw)
        theirs = target_from_table(kpi_id, old_raw, kpi) if old_raw is not _MISSING else None
        if new_raw is _NO_CHANGE:
            mine = theirs
        else:
            mine = target_from_table(kpi_id, new_raw, kpi) if new_raw is not _MISSING else None
        if (base is not UNSET and not force and not _same(theirs, base)
                and not _same(mine, theirs)):  # both ended at the same target: no conflict
            raise ConflictError(kpi_id, mine, theirs, self.path)
        if new_raw is _NO_CHANGE:
            return _NO_CHANGE
        new_doc = dict(doc)
        if new_raw is _MISSING:
            del new_doc[kpi_id]
        else:
            new_doc[kpi_id] = new_raw
        payload = (HEADER + tomli_w.dumps(new_doc)).encode("utf-8")
        reparsed = tomllib.loads(payload.decode("utf-8"))  # never write what we could not read back
        if reparsed != new_doc and tomli_w.dumps(reparsed) != tomli_w.dumps(new_doc):  # pragma: no cover
            # (the second test only matters for NaN, which is unequal to itself)
            raise TargetsError(f"{self.path}: internal error, the new file would not "
                               "read back the same; nothing saved", self.path)
        _step("merged")

        try:
            self._replace_file(payload, old_bytes, old_st)
        except OSError as exc:
            raise TargetsError(f"could not save {self.path}: {exc.strerror or exc}; "
                               "the file is unchanged", self.path) from None

        old_target = theirs.value_for(month) if theirs is not None else None
        if month is not None and theirs is not None and month not in theirs.months:
            old_target = None
        entry = {
            "at": _now_utc(),
            "by": self.user or current_user(),
            "kpi": kpi_id,
            "month": month,
            "action": action,
            "old": old_target,
            "new": number,
            "direction": mine.direction if mine is not None else None,
            "tolerance": mine.tolerance if mine is not None else None,
        }
        self._append_history(entry)
        _step("history_written")
        return new_raw

    def _remove_stale_temps(self) -> None:
        """Temp files of killed saves (we hold the lock, so none is in use)."""
        folder = self.path.parent
        prefix = self._temp_prefix()  # ".targets.toml." (also ".targets.toml.bak.")
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            if name.startswith(prefix) and name.endswith(".tmp"):
                _unlink_quietly(folder / name)

    def _write_temp(self, target_name: str, payload: bytes, mode: int | None,
                    step_names: tuple[str, str] | None) -> Path:
        folder = self.path.parent
        tmp = folder / f"{self._temp_prefix(target_name)}{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            try:
                if mode is not None:
                    os.fchmod(fd, mode)
                _write_all(fd, payload)
                if step_names:
                    _step(step_names[0])
                os.fsync(fd)
                if step_names:
                    _step(step_names[1])
            finally:
                os.close(fd)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return tmp

    def _write_backup(self, old_bytes: bytes, old_st: os.stat_result) -> None:
        """The previous version -> "<file>.bak", atomically.

        A hard link to the old file costs no copy and no fsync (its data is
        already on disk); where links are not supported, or the file is no
        longer the one we read, the old bytes are written and fsynced instead.
        """
        try:
            if os.stat(self.backup_path).st_ino == old_st.st_ino:
                return  # already a link to it (a save killed right after this step)
        except OSError:
            pass
        folder = self.path.parent
        bak_tmp = folder / f"{self._temp_prefix(self.backup_path.name)}{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            os.link(self.path, bak_tmp)
            if os.stat(bak_tmp).st_ino != old_st.st_ino:
                _unlink_quietly(bak_tmp)
                raise _FileChanged()
        except (OSError, _FileChanged):
            bak_tmp = self._write_temp(self.backup_path.name, old_bytes,
                                       stat.S_IMODE(old_st.st_mode), None)
        try:
            os.replace(bak_tmp, self.backup_path)
        finally:
            # rename() between two links of one file does nothing: never leave the temp name
            _unlink_quietly(bak_tmp)

    def _replace_file(self, payload: bytes, old_bytes: bytes | None,
                      old_st: os.stat_result | None) -> None:
        mode = stat.S_IMODE(old_st.st_mode) if old_st is not None else None
        tmp = self._write_temp(self.path.name, payload, mode, ("temp_written", "temp_synced"))
        try:
            if old_bytes is not None and old_st is not None:
                self._write_backup(old_bytes, old_st)
            _step("backup_written")
            # An editor that ignores our lock may have saved since we read the
            # file: then start over (re-read and merge) instead of losing its edit.
            if self._stat_key() != _key(old_st):
                raise _FileChanged()
            os.replace(tmp, self.path)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        _step("replaced")
        _fsync_dir(self.path.parent)
        _step("dir_synced")

    def _stat_key(self) -> tuple[int, int, int] | None:
        try:
            return _key(os.stat(self.path))
        except FileNotFoundError:
            return None

    def _append_history(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        self.last_warning = None
        try:
            fd = os.open(self.history_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        except OSError as exc:
            self.last_warning = (f"saved, but the history {self.history_path} could not be "
                                 f"written: {exc.strerror or exc}")
            return
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":  # a torn line from a killed save
                line = b"\n" + line
            _write_all(fd, line)
            os.fsync(fd)
        except OSError as exc:
            self.last_warning = (f"saved, but the history {self.history_path} could not be "
                                 f"written: {exc.strerror or exc}")
        finally:
            os.close(fd)


_NO_CHANGE: Any = object()


class _FileChanged(Exception):
    """The targets file changed between our read and our replace (not via the lock)."""


def _key(st: os.stat_result | None) -> tuple[int, int, int] | None:
    return (st.st_mtime_ns, st.st_size, st.st_ino) if st is not None else None


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

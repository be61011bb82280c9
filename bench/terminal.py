"""Key-press latency as a user sees it: the real app in a pseudo-terminal, from the key's
byte written to the terminal until the screen update that shows its effect has been read
back (the whole path: terminal input, key handler, layout, render, terminal output).

Pilot's press() cannot measure this while a recompute runs: it waits until the *process*
uses no CPU (textual._wait.wait_for_idle), which never happens while Polars computes, so
it reports up to a second per key whatever the app does.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

from revops_tui.kpis.catalog import CATALOG, PANES

ESCAPE = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")
# Pane keys and a title only that pane shows (so its text on the screen proves the switch).
LOADED = re.compile(rb"loaded (\d\d:\d\d:\d\d)")
PANE_KEYS = {"1": "revenue_growth", "2": "new_leads", "3": "win_rate", "4": "nps", "5": "dq_completeness"}


class Terminal:
    """The app on a pseudo-terminal, its output read on a thread with arrival times."""

    def __init__(self, args: list[str], size: tuple[int, int] = (120, 40)) -> None:
        self.started = time.perf_counter()
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": ""}
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.chunks: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.chunks.append((time.perf_counter(), data))

    def text_since(self, start: float) -> str:
        with self.lock:
            data = b"".join(d for t, d in self.chunks if t >= start)
        return ESCAPE.sub(b"", data).decode("utf-8", "replace")

    def wait_for(self, text: str, since: float, timeout: float) -> float | None:
        """Seconds from `since` until `text` has appeared in the output (None: timed out).

        Reads only what arrived since its last look (this process stands in for the user's
        terminal: it must not take the CPU the app is measured on)."""
        deadline = time.perf_counter() + timeout
        seen, looked = b"", 0
        while time.perf_counter() < deadline:
            with self.lock:
                fresh = self.chunks[looked:]
                looked = len(self.chunks)
            for t, d in fresh:
                if t < since:
                    continue
                seen += d
                # An escape sequence may be split between chunks: only the clean text is searched.
                if text in ESCAPE.sub(b"", seen[-(len(d) + 4096):]).decode("utf-8", "replace"):
                    return t - since
            time.sleep(0.002)
        return None

    def cpu_seconds(self) -> float:
        """CPU time the app has used so far (Linux)."""
        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def idle(self, seconds: float, timeout: float) -> None:
        """Wait until the app has used under 5% of a core for `seconds` (no output alone does not
        tell: numbers from the results cache are on screen while the data is read to confirm them)."""
        deadline = time.perf_counter() + timeout
        last, since = self.cpu_seconds(), time.perf_counter()
        while time.perf_counter() < deadline:
            time.sleep(0.25)
            now = self.cpu_seconds()
            if now - last > 0.05 * (time.perf_counter() - since):
                last, since = now, time.perf_counter()
            elif time.perf_counter() - since >= seconds:
                return

    def press(self, key: str) -> float:
        os.write(self.fd, key.encode())
        return time.perf_counter()

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self.fd)


def _pane_switch(term: Terminal, key: str) -> tuple[float, float]:
    """(when the key was written, seconds until the screen showed its pane)."""
    start = term.press(key)
    took = term.wait_for(CATALOG[PANE_KEYS[key]].label, start, timeout=10)
    time.sleep(0.15)
    return start, took if took is not None else float("inf")


def _reloaded(term: Terminal, since: float, clock: str) -> float | None:
    """When the header first showed a load time at or after `clock` (HH:MM:SS), if it has."""
    with term.lock:
        chunks = [(t, d) for t, d in term.chunks if t >= since]
    seen = b""
    for t, d in chunks:
        seen += d
        times = LOADED.findall(ESCAPE.sub(b"", seen))
        if any(found.decode() >= clock for found in times):
            return t
    return None


def _summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    if not ordered:
        return "no key was answered before the recompute ended"
    return (f"median {ordered[len(ordered) // 2] * 1000:.0f} ms, p90 {ordered[int(len(ordered) * 0.9)] * 1000:.0f} ms, "
            f"max {ordered[-1] * 1000:.0f} ms ({len(ordered)} keys)")


def terminal_key_latency(folder: Path, as_of: str, months: int = 13) -> list[str]:
    """The first frame, then pane switches (keys 1-5) idle and during a full recompute, in a 120x40
    pseudo-terminal."""
    assert set(PANE_KEYS) and all(PANE_KEYS[k] in PANES[p] for k, p in zip("12345", PANES))
    args = [sys.executable, "-m", "revops_tui", "--data", str(folder), "--as-of", as_of, "--months", str(months)]
    term = Terminal(args)
    try:
        started, clock = term.started, time.strftime("%H:%M:%S")
        first_frame = term.wait_for("Data Quality", started, timeout=60)  # the pane tabs: the first frame
        if first_frame is None:
            return [f"terminal key latency: the app did not start: {term.text_since(started)[-300:]!r}"]
        while _reloaded(term, started, clock) is None and time.perf_counter() - started < 600:
            time.sleep(0.1)  # the numbers are in when the header shows their load time
        term.idle(1.0, timeout=120)
        first = [_pane_switch(term, key)[1] for key in "23451"]
        idle = [_pane_switch(term, key)[1] for key in "2345123451"]
        term.idle(1.0, timeout=120)
        # Every file touched: new versions, so `r` really recomputes everything (neither the
        # results cache nor the engine's kept results of unchanged tables apply).
        time.sleep(1.0)
        for path in folder.glob("*.parquet"):
            os.utime(path)
        clock = time.strftime("%H:%M:%S")
        reload_at = term.press("r")
        time.sleep(0.3)
        busy: list[float] = []
        done = None
        while done is None and time.perf_counter() - reload_at < 600:
            for key in "23451":
                pressed, took = _pane_switch(term, key)
                done = _reloaded(term, reload_at, clock)
                if done is None or pressed + took <= done:
                    busy.append(took)
        recompute = (done or time.perf_counter()) - reload_at
    finally:
        term.close()
    lines = [f"terminal first frame (the pane tabs on screen) {first_frame:.3f} s after the process was started",
             f"terminal key latency (pane switch, from the key written to the pseudo-terminal to its screen "
             f"update read back), first visit of each pane: {_summary(first)}",
             f"terminal key latency, idle, panes seen before: {_summary(idle)}",
             f"terminal key latency during a recompute: {_summary(busy)} "
             f"(the recompute took {recompute:.1f} s from `r` to the new load time on screen)"]
    return lines


if __name__ == "__main__":
    for line in terminal_key_latency(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "2026-11-15"):
        print(line)

"""Keys typed ahead are handled in order, one at a time.

Textual hands each key to the widget focused when the key arrives and runs the bindings once the
key has bubbled back up to the app. Keys arriving together (typed ahead, or over SSH after a
stall) were all handed out before the first had run: after one that opens a screen (t, p, f, /,
Enter), the rest reached the old screen's widget, or the new screen before it had focused its
field. The characters typed for that field were lost and a Tab was undone by the new screen's
own first focus. Here the app holds each key until the one before it is handled (stopped by the
widget it was handed to, or back at the app, where its binding runs) and the screen shown has
refreshed once since (so a screen the key opened is laid out and focused). A screen still
fetching what a key acts on (a pane's cards, a breakdown, the records) says so with
`keys_wait(key)`; such keys then wait for it too, up to HOLD_SECONDS (keys that leave, quit or
open help or the palette never wait). A key alone is handed out at once.
"""

from __future__ import annotations

import time
from collections import deque
from functools import partial

from textual import events
from textual.app import App

# The longest a key holds the next one back (a key stopped somewhere between the widget it was
# handed to and the app, which this cannot see). Handled keys release the next at once.
SETTLE_SECONDS = 0.15
HOLD_SECONDS = 3.0  # the longest a key waits for a screen's keys_wait()
POLL_SECONDS = 0.05
NEVER_WAIT = frozenset({"escape", "q", "ctrl+c", "ctrl+q", "question_mark", "ctrl+p"})


class KeysInOrder(App):
    """An App whose keys are handed out one at a time (mixed into the workspace's App)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._key_busy: events.Key | None = None  # the key handed out and not yet handled
        self._key_queue: deque[events.Key] = deque()
        self._waiting_since: float | None = None  # the first key waiting for keys_wait()

    async def on_event(self, event: events.Event) -> None:
        # A key from the terminal (a key bubbling back from a widget has been forwarded).
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._key_queue.append(event)
            if self._key_busy is None and len(self._key_queue) == 1:
                await self._next_key()
            return
        await super().on_event(event)

    def _screen_waits(self, key: events.Key) -> bool:
        waits = getattr(self.screen, "keys_wait", None)
        if key.key in NEVER_WAIT or not callable(waits) or not waits(key.key):
            self._waiting_since = None
            return False
        now = time.monotonic()
        if self._waiting_since is None:
            self._waiting_since = now
        if now - self._waiting_since > HOLD_SECONDS:
            self._waiting_since = None
            return False
        return True

    async def _hand_out(self, key: events.Key) -> None:
        self._key_busy = key
        target = self.focused or self.screen
        await super().on_event(key)  # a priority binding runs here; else the key goes to target
        if not key.is_forwarded:
            self._key_done(key)
            return
        target.call_later(self._key_reached, key)  # runs once target has handled the key
        self.set_timer(SETTLE_SECONDS, partial(self._key_done, key))

    def _key_reached(self, key: events.Key) -> None:
        if key._stop_propagation:  # handled by the widget itself (say a character into a field)
            self._key_done(key)
        # else it bubbles up to the app: _on_key

    async def _on_key(self, event: events.Key) -> None:
        # Dispatched before App._on_key, which runs the key's binding: release after that.
        if event is self._key_busy:
            self.call_later(self._key_done, event)

    def _key_done(self, key: events.Key) -> None:
        if self._key_busy is not key:
            return  # released already
        self._key_busy = None
        if not self._key_queue or not self.screen_stack:
            return
        # After the screen's next refresh: once a screen the key opened is laid out and focused,
        # and what the key set off is done (a field's Enter: the screen's submit handler).
        self.screen.call_after_refresh(self.call_later, self._next_key)

    async def _next_key(self) -> None:
        if self._key_busy is not None or not self._key_queue or not self.screen_stack:
            return
        if self._screen_waits(self._key_queue[0]):
            self.set_timer(POLL_SECONDS, self._next_key)
            return
        await self._hand_out(self._key_queue.popleft())

"""A one-line footer with the keys of the current screen.

Textual's Footer recomposes a widget per key on every focus change (tens of
milliseconds each time a card is selected); this one renders a line of text
and redraws only when the keys shown change. A click on a key presses it.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.events import Click
from textual.screen import Screen
from textual.widget import Widget


ALWAYS_SHOWN = frozenset({"question_mark"})  # help lists every key the footer has no room for


class KeysFooter(Widget):
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeysFooter > .keys-footer--key { color: $footer-key-foreground; text-style: bold; }
    KeysFooter > .keys-footer--description { color: $footer-description-foreground; }
    """

    COMPONENT_CLASSES = {"keys-footer--key", "keys-footer--description"}

    def __init__(self) -> None:
        super().__init__()
        self._keys: tuple[tuple[str, str, str], ...] = ()  # (key, display, description)
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        keys: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        for _key, (_node, binding, enabled, _tooltip) in screen.active_bindings.items():
            if not binding.show or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append((binding.key, self.app.get_key_display(binding), binding.description))
        palette = screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            keys.append((palette[1].key, self.app.get_key_display(palette[1]), "palette"))
        keys_tuple = tuple(keys)
        if keys_tuple != self._keys:
            self._keys = keys_tuple
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keys-footer--key", partial=True)
        description_style = self.get_component_rich_style("keys-footer--description", partial=True)
        text = Text(no_wrap=True, overflow="crop")
        self._spans = []
        width = self.size.width

        def size(display: str, description: str) -> int:
            return cell_len(display) + cell_len(description) + 3

        def always(key: str, description: str) -> bool:
            return description == "palette" or key in ALWAYS_SHOWN

        reserved = sum(size(d, desc) for k, d, desc in self._keys if always(k, desc))  # not placed yet
        for key, display, description in self._keys:
            if always(key, description):
                reserved -= size(display, description)
            elif cell_len(text.plain) + size(display, description) > width - reserved:
                continue  # a later, shorter key may still fit; help and the palette always do
            start = cell_len(text.plain)
            text.append(f" {display} ", style=key_style)
            text.append(f"{description} ", style=description_style)
            self._spans.append((start, cell_len(text.plain), key))
        return text

    def plain(self) -> str:
        return " ".join(f"{display} {description}" for _, display, description in self._keys)

    def on_click(self, event: Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key.split(",")[0])
                return

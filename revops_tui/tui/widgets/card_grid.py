"""A grid of KPI cards that reflows its columns to the width available."""

from __future__ import annotations

from textual.containers import Container
from textual.events import Resize

from revops_tui.tui.widgets.kpi_card import KpiCard

CARD_MIN_WIDTH = 26


def columns_for(width: int, cards: int) -> int:
    return max(1, min(cards or 1, width // CARD_MIN_WIDTH))


class CardGrid(Container):
    DEFAULT_CSS = """
    CardGrid {
        layout: grid;
        grid-size: 3;
        grid-rows: auto;
        grid-gutter: 0 0;
        height: auto;
    }
    """

    def __init__(self, *cards: KpiCard, id: str | None = None, width: int = 0) -> None:
        """`width`: the width it will have, when known (another pane's grid): its columns are then
        right from the first key, not only after its first layout."""
        super().__init__(*cards, id=id)
        self.columns = 3
        if width > 0:
            self._set_columns(columns_for(width, len(cards)))  # its children are not mounted yet

    @property
    def cards(self) -> list[KpiCard]:
        return list(self.query_children(KpiCard))

    def on_resize(self, event: Resize) -> None:
        self.reflow(event.size.width)

    def reflow(self, width: int) -> None:
        columns = columns_for(width, len(self.cards))
        if columns != self.columns or self.styles.grid_size_columns != columns:
            self._set_columns(columns)

    def _set_columns(self, columns: int) -> None:
        self.columns = columns
        self.styles.grid_size_columns = columns

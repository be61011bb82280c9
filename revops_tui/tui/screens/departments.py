"""The main screen: five department panes of KPI cards on tabs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, DataTable, Static

from revops_tui.kpis.catalog import DEPARTMENTS, MOVEMENT_NAMES, PANES
from revops_tui.tui.targets_hook import card_target
from revops_tui.tui.widgets.card_grid import CardGrid
from revops_tui.tui.widgets.chart import MovementData, MovementsChart
from revops_tui.tui.widgets.header import AppHeader, Banner
from revops_tui.tui.widgets.keys_footer import KeysFooter
from revops_tui.tui.widgets.pane_tabs import PaneTabs
from revops_tui.tui.widgets.kpi_card import KpiCard
from revops_tui.tui.widgets.tables import ChecksTable

PANE_ORDER = tuple(PANES)


class PaneScroll(VerticalScroll, inherit_bindings=False):
    """The scrolling body of a pane: arrows belong to the cards, so only paging keys scroll it."""

    BINDINGS = [
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "Bottom", show=False),
    ]


class DepartmentsScreen(Screen):
    """Tabs 1-5; arrows / h j k l move between cards; Enter opens the KPI."""

    BINDINGS = [
        *(Binding(str(i + 1), f"pane('{pane}')", f"{DEPARTMENTS[pane]}", show=False, id=f"pane_{pane}")
          for i, pane in enumerate(PANE_ORDER)),
        Binding("tab", "cycle_pane(1)", "Next pane", id="next_pane"),
        Binding("shift+tab", "cycle_pane(-1)", "Prev. pane", show=False, id="prev_pane"),
        Binding("up,k", "move(0, -1)", "Up", show=False),
        Binding("down,j", "move(0, 1)", "Down", show=False),
        Binding("left,h", "move(-1, 0)", "Left", show=False),
        Binding("right,l", "move(1, 0)", "Right", show=False),
        Binding("enter", "open", "Open KPI", id="open"),
        Binding("t", "edit_target", "Target", id="target"),
    ]

    HELP_HIDE = ("pane", "move", "edit_target")
    HELP_EXTRA = [
        ("1-5", "switch to a department pane"),
        ("←↑↓→ / h j k l", "move between cards"),
        ("enter", "open the KPI (detail, chart, breakdown)"),
        ("enter on a check", "the failing records of a data-quality check"),
        ("t", "set, change or remove the selected KPI's target"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.last_focus: dict[str, str] = {}  # pane -> widget id
        self.pane = PANE_ORDER[0]  # the pane shown
        self._built: set[str] = set()  # panes whose cards are mounted (or being mounted)
        self._pending_focus: str | None = None  # a KPI to focus once its pane's cards are mounted
        self._mounting: set[str] = set()  # panes picked or built after the first frame, until filled

    def crumb(self) -> str:
        return DEPARTMENTS[self.current_pane]

    @property
    def current_pane(self) -> str:
        return self.pane

    def compose(self) -> ComposeResult:
        # Only the pane shown is composed before the first frame; the others follow one per
        # frame after it (_build_next), or at once when one is picked (a third of the start-up
        # work of the first frame: the 33 cards and the checks table of the hidden panes).
        yield AppHeader()
        yield Banner()
        yield PaneTabs({pane: DEPARTMENTS[pane] for pane in PANE_ORDER}, self.pane, id="pane-tabs")
        with ContentSwitcher(initial=self.pane, id="panes"):
            for pane in PANE_ORDER:
                with Vertical(id=pane, classes="pane"):
                    if pane == self.pane:
                        yield self._pane_body(pane)
        yield KeysFooter()

    def _pane_body(self, pane: str) -> PaneScroll:
        """A pane's cards, with the chart (overview) or the checks table (data quality) below."""
        self._built.add(pane)
        currency = self.app.settings.currency  # type: ignore[attr-defined]
        # A pane mounted after the first frame takes the width of a grid already laid out (all
        # panes fill the same space), so a move typed ahead counts its columns right.
        width = max((grid.size.width for grid in self.query(CardGrid)), default=0)
        body: list[Widget] = [CardGrid(*(KpiCard(kpi_id, pane, currency, id=f"card-{pane}-{kpi_id}")
                                         for kpi_id in PANES[pane]), id=f"grid-{pane}", width=width)]
        if pane == "overview":
            body.append(MovementsChart(id="movements"))
        if pane == "data_quality":
            body.append(Static("Checks: pass rate and failing records (Enter opens them)", classes="section-title"))
            body.append(ChecksTable(id="checks"))
        return PaneScroll(*body, classes="pane-scroll")

    def on_mount(self) -> None:
        self.data_changed()
        self.quality_changed()
        self.focus_first()
        self.call_after_refresh(self._build_next)

    def _build_next(self) -> None:
        """Mount the next hidden pane, then the one after it on the next frame."""
        rest = [pane for pane in PANE_ORDER if pane not in self._built]
        if rest:
            self.build_pane(rest[0])
            self.call_after_refresh(self._build_next)

    def build_pane(self, pane: str) -> None:
        """Mount a pane's cards if they are not yet; they show the current numbers once mounted."""
        if pane in self._built:
            return
        mounting = self.query_one(f"#{pane}", Vertical).mount(self._pane_body(pane))
        self._mounting.add(pane)

        async def fill() -> None:
            await mounting
            self._mounting.discard(pane)
            self.data_changed(pane)
            if pane == "data_quality":
                self.quality_changed()
            if pane == self.pane:
                self._restore_focus(pane)
            if self._pending_focus is not None:
                self.focus_card(self._pending_focus)

        self.call_next(fill)

    def focus_first(self) -> None:
        cards = self.cards()
        if cards:
            self.set_focus(cards[0])

    # ------------------------------------------------------------------ data

    def data_changed(self, pane: str | None = None) -> None:
        """Show the app's snapshot on the cards (of one pane, or of every pane mounted)."""
        app = self.app
        snap = app.snapshot  # type: ignore[attr-defined]
        currency = app.settings.currency  # type: ignore[attr-defined]
        for card in (self.cards(pane) if pane else self.query(KpiCard)):
            result = snap.results.kpis.get(card.kpi_id) if snap else None
            card.show(result, currency, card_target(app, result) if result is not None else None)
        for chart in (self.query(MovementsChart) if pane in (None, "overview") else ()):
            if snap is None:
                chart.set_data(None)
            else:
                results = snap.results
                movements = {}
                for name in MOVEMENT_NAMES:
                    result = results.kpis.get(f"mrr_{name}")
                    if result is not None and result.available:
                        movements[name] = [v for _, v in result.series]
                chart.set_data(MovementData(list(results.months), movements, currency))

    def targets_changed(self) -> None:
        """The targets file was re-read: redraw the cards' target lines."""
        app = self.app
        snap = app.snapshot  # type: ignore[attr-defined]
        if snap is None:
            return
        currency = app.settings.currency  # type: ignore[attr-defined]
        for card in self.query(KpiCard):
            result = snap.results.kpis.get(card.kpi_id)
            if result is not None:
                card.show(result, currency, card_target(app, result))

    def keys_wait(self, key: str) -> bool:
        """Keys typed while the pane shown is being mounted (picked before its turn: its cards
        come a frame later) wait for its cards (tui/typeahead.py): they would find none."""
        return self.current_pane in self._mounting

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit_target":  # offered where it works: on a KPI card or the MRR chart
            return isinstance(self.focused, (KpiCard, MovementsChart))
        return True

    def action_edit_target(self) -> None:
        focused = self.focused
        if isinstance(focused, KpiCard):
            self.app.edit_target(focused.kpi_id)  # type: ignore[attr-defined]
        elif isinstance(focused, MovementsChart):
            self.app.edit_target("mrr")  # type: ignore[attr-defined]
        else:
            self.notify("Select a KPI card to edit its target", timeout=3)

    def quality_changed(self) -> None:
        app = self.app
        report = getattr(app, "quality", None)
        error = getattr(app, "quality_error", None)
        for table in self.query(ChecksTable):
            table.show(report.checks if report is not None else None, error)

    # ------------------------------------------------------------------ panes

    def show_pane(self, pane: str) -> None:
        focused = self.focused
        if focused is not None and focused.id and self._pane_of(focused) == self.pane:
            # At once: on_descendant_focus comes as a message, after keys typed ahead (2, right, 1, 2).
            self.last_focus[self.pane] = focused.id
        self.build_pane(pane)
        self.pane = pane
        self.query_one(ContentSwitcher).current = pane
        self.query_one(PaneTabs).activate(pane)
        self._restore_focus(pane)
        for header in self.query(AppHeader):
            header.refresh()

    def action_pane(self, pane: str) -> None:
        self.show_pane(pane)

    def action_cycle_pane(self, step: int) -> None:
        i = PANE_ORDER.index(self.current_pane)
        self.show_pane(PANE_ORDER[(i + step) % len(PANE_ORDER)])

    def on_pane_tabs_picked(self, event: PaneTabs.Picked) -> None:
        self.show_pane(event.pane)

    def _restore_focus(self, pane: str) -> None:
        focused = self.focused
        if focused is not None and self._pane_of(focused) == pane:
            return
        wanted = self.last_focus.get(pane)
        target: Widget | None = None
        if wanted:
            try:
                target = self.query_one(f"#{wanted}")
            except Exception:  # noqa: BLE001
                target = None
        if target is None:
            cards = self.cards(pane)
            target = cards[0] if cards else None
        # At once, not target.focus() (deferred), as every move here: a key pressed right after
        # the pane key (say Enter) must reach this pane's card, not the one of the pane left
        # behind. A pane still being mounted has no card yet: nothing is focused until
        # build_pane's fill focuses one (keys typed meanwhile wait for it: keys_wait).
        self.set_focus(target)

    def _pane_of(self, widget: Widget) -> str | None:
        for node in widget.ancestors_with_self:
            if node.has_class("pane"):
                return node.id
        return None

    def on_descendant_focus(self, event) -> None:
        self.refresh_bindings()  # the target key follows the focus (check_action)
        widget = event.widget
        pane = self._pane_of(widget)
        if pane and widget.id:
            self.last_focus[pane] = widget.id

    # ------------------------------------------------------------------ cards

    def cards(self, pane: str | None = None) -> list[KpiCard]:
        """The pane's cards (none while the pane is being mounted)."""
        pane = pane or self.current_pane
        grids = self.query(f"#grid-{pane}").results(CardGrid)
        return [card for grid in grids for card in grid.query_children(KpiCard)]

    def extra(self, pane: str | None = None) -> Widget | None:
        """The focusable widget below the cards (movements chart, checks table)."""
        kind = {"overview": MovementsChart, "data_quality": ChecksTable}.get(pane or self.current_pane)
        found = list(self.query(kind)) if kind else []
        return found[0] if found else None

    def focus_card(self, kpi_id: str) -> None:
        """Focus the KPI's card on the current pane (once mounted, if its pane is being mounted)."""
        self._pending_focus = None
        for card in self.cards():
            if card.kpi_id == kpi_id:
                self.set_focus(card)
                return
        if kpi_id in PANES[self.current_pane]:
            self._pending_focus = kpi_id

    def leave_extra(self) -> None:
        """From the widget under the cards back up to the last row of cards."""
        cards = self.cards()
        if cards:
            grid = self.query_one(f"#grid-{self.current_pane}", CardGrid)
            last_row_start = (len(cards) - 1) // grid.columns * grid.columns
            self.set_focus(cards[last_row_start])

    def action_move(self, dx: int, dy: int) -> None:
        cards = self.cards()
        if not cards:
            return
        focused = self.focused
        extra = self.extra()
        if focused is extra and extra is not None:
            if isinstance(extra, DataTable):
                if dy > 0:
                    extra.action_cursor_down()
                elif dy < 0:
                    extra.action_cursor_up()  # leaves to the cards from the first row
                return
            if dy < 0:
                self.leave_extra()
            return
        if focused not in cards:
            self._restore_focus(self.current_pane)
            return
        grid = self.query_one(f"#grid-{self.current_pane}", CardGrid)
        cols = grid.columns
        i = cards.index(focused)  # type: ignore[arg-type]
        j = i
        if dx:
            j = max(0, min(len(cards) - 1, i + dx))
        elif dy < 0:
            j = i - cols if i - cols >= 0 else i
        elif dy > 0:
            if i + cols < len(cards):
                j = i + cols
            elif i // cols < (len(cards) - 1) // cols:
                j = len(cards) - 1
            elif extra is not None:
                self.set_focus(extra)
                return
        self.set_focus(cards[j])

    def action_open(self) -> None:
        from revops_tui.tui.screens.detail import DetailScreen

        focused = self.focused
        if isinstance(focused, KpiCard):
            self.app.push_screen(DetailScreen(focused.kpi_id, focused.pane))
        elif isinstance(focused, MovementsChart):
            self.app.push_screen(DetailScreen("mrr", "overview"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if not isinstance(event.data_table, ChecksTable):
            return
        table = event.data_table
        if not (0 <= event.cursor_row < len(table.checks)):
            return
        check = table.checks[event.cursor_row]
        from revops_tui.tui.screens.records import RecordsRequest, RecordsScreen

        snap = self.app.snapshot  # type: ignore[attr-defined]
        if snap is None:
            return
        kpi_id = f"dq_{check.score}"
        month = snap.results.months[-1]
        self.app.push_screen(RecordsScreen(RecordsRequest(
            kpi_id=kpi_id, month=month, dimension="table", value=check.table, detail=check.rule,
            column=check.column, crumb=f"{check.table}.{check.column} › {check.rule}",
        )))

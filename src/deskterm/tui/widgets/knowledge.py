"""The knowledge panel beside the ticket: the articles and SOP that fit it, a search as you type,
the chosen article rendered as Markdown, an SOP's steps as a checklist, and the keys that put a
customer article's link or a section into the composer.

Articles are the user's own files, so their Markdown is rendered; everything else shown here
(titles in the list, steps, reasons) is built as rich Text, never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.events import Key
from textual.message import Message
from textual.widgets import Input, Label, Markdown, OptionList, SelectionList
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection
from textual.worker import get_current_worker

from deskterm import kb
from deskterm.keys import KNOWLEDGE
from deskterm.store import Store
from deskterm.store import knowledge as store_kb
from deskterm.tui.bindings import bindings
from deskterm.tui.desk import desk_of

if TYPE_CHECKING:
    from deskterm.tui.app import DeskApp

HINT = "ctrl+l link · ctrl+r section · space ticks a step · esc closes"
LABELS = {"sop": ("SOP ", "magenta"), "customer": ("cust", "green"), "internal": ("int ", "yellow")}


@dataclass(frozen=True, slots=True)
class Found:
    """What the panel lists: hits, and the steps ticked on the ticket per SOP."""

    hits: list[kb.Hit]
    ticks: dict[str, set[int]] = field(default_factory=dict)
    query: str = ""


def read_suggestions(desk: DeskApp, store: Store, ticket_id: int) -> Found:
    """Bring the index up to date, then the hits that fit the ticket (on a worker's thread)."""
    kb.refresh(store)
    sops = {m.name: m.sop for m in desk.macros if m.sop}
    facts = kb.facts_for(store, ticket_id, macro_sops=sops)
    return Found(kb.suggest(store, facts), store_kb.ticks(store, ticket_id))


def hit_label(hit: kb.Hit) -> Text:
    article = hit.article
    tag, style = LABELS["sop" if article.is_sop else article.audience]
    label = Text.assemble((tag, style), " ", article.title)
    if hit.reasons:
        label.append("  " + ", ".join(hit.reasons), style="dim")
    return label


class HitList(OptionList):
    """The found articles; j and k move as they do in the queue."""


class KnowledgePanel(Vertical):
    """Hidden until the agent opens it on a ticket (b)."""

    BINDINGS = bindings(KNOWLEDGE)
    DEFAULT_CSS = """
    KnowledgePanel { display: none; width: 55%; min-width: 40; max-width: 100; border-left: vkey $accent; }
    KnowledgePanel.-open { display: block; }
    KnowledgePanel #kb-search { height: 3; }
    /* One line each, so a narrow panel still lists several (Textual reads no_wrap from here,
       not from the rich Text). */
    KnowledgePanel #kb-hits {
        height: auto; max-height: 7; border: none; text-wrap: nowrap; text-overflow: ellipsis;
    }
    KnowledgePanel #kb-steps-title { padding: 0 1; }
    KnowledgePanel #kb-steps { height: auto; max-height: 9; border: none; }
    KnowledgePanel #kb-view { height: 1fr; }
    KnowledgePanel #kb-hint { padding: 0 1; }
    """

    class Closed(Message):
        pass

    class Tick(Message):
        """The agent ticked (done) or unticked step `step` of SOP `sop`."""

        def __init__(self, sop: str, step: int, text: str, done: bool) -> None:
            self.sop, self.step, self.text, self.done = sop, step, text, done
            super().__init__()

    class Insert(Message):
        """The agent wants the article's link (`section` False) or a section of it in a message."""

        def __init__(self, article: kb.Article, *, section: bool) -> None:
            self.article, self.section = article, section
            super().__init__()

    def __init__(self, ticket_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ticket_id = ticket_id
        self.found = Found([])
        self.shown: kb.Article | None = None

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="search the knowledge base (empty: fits this ticket)", id="kb-search"
        )
        yield HitList(id="kb-hits")
        yield Label(id="kb-steps-title")
        yield SelectionList[int](id="kb-steps")
        with VerticalScroll(id="kb-view"):
            yield Markdown(id="kb-article")
        yield Label(Text(HINT, style="dim"), id="kb-hint")

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self) -> None:
        self.add_class("-open")
        self.screen.set_focus(self.query_one(Input))
        self.load()

    def action_close(self) -> None:
        self.remove_class("-open")
        self.post_message(self.Closed())

    def reload(self) -> None:
        """Read the list and the ticks again (a tick was refused: the checklist shows the truth)."""
        self.load()

    @work(thread=True, exclusive=True, group="kb", exit_on_error=False)
    def load(self) -> None:
        """Suggestions for the ticket, or the search typed so far (off the UI thread)."""
        desk = desk_of(self)
        query = self.query_one(Input).value.strip()
        with desk.connection() as store:
            if query:
                found = Found(kb.search(store, query), store_kb.ticks(store, self.ticket_id), query)
            else:
                found = read_suggestions(desk, store, self.ticket_id)
        if not get_current_worker().is_cancelled:
            desk.call_from_thread(self.show, found)

    def show(self, found: Found) -> None:
        """List what was found: a new search starts at its best hit, a refresh of the same one
        keeps the article being read."""
        if found.query != self.query_one(Input).value.strip():
            return
        hits = self.query_one(HitList)
        previous = self.current if found.query == self.found.query else None
        self.found = found
        hits.clear_options()
        hits.add_options(Option(hit_label(h), id=h.article.slug) for h in found.hits)
        slugs = [h.article.slug for h in found.hits]
        if slugs:
            keep = previous.slug if previous and previous.slug in slugs else slugs[0]
            hits.highlighted = slugs.index(keep)
        self.show_article(self.current)

    @property
    def current(self) -> kb.Article | None:
        index = self.query_one(HitList).highlighted
        if index is None or index >= len(self.found.hits):
            return None
        return self.found.hits[index].article

    def show_article(self, article: kb.Article | None) -> None:
        """Render the article and its checklist; the same article again only updates the ticks,
        so a refresh (a tick, a sync pass) keeps the reader's place and the cursor's."""
        steps = self.query_one("#kb-steps", SelectionList)
        if article is not None and article == self.shown:
            ticked = self.found.ticks.get(article.slug, set())
            for n in range(1, len(article.steps) + 1):
                steps.select(n) if n in ticked else steps.deselect(n)
            return
        self.shown = article
        view = self.query_one("#kb-article", Markdown)
        title = self.query_one("#kb-steps-title", Label)
        if article is None:
            view.update(
                "*Nothing found.*" if self.found.query else "*No article fits this ticket.*"
            )
            steps.display = title.display = False
            return
        view.update(article.body)
        self.query_one("#kb-view").scroll_home(animate=False)
        steps.display = title.display = article.is_sop
        if article.is_sop:
            ticked = self.found.ticks.get(article.slug, set())
            title.update(
                Text.assemble(
                    ("Checklist ", "bold"),
                    (f"target {article.target} · escalation: {article.escalation}", "dim"),
                )
            )
            steps.clear_options()
            steps.add_options(
                Selection(Text(f"{n}. {text}"), n, n in ticked)
                for n, text in enumerate(article.steps, start=1)
            )
            steps.highlighted = 0

    @on(OptionList.OptionHighlighted, "#kb-hits")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.show_article(self.current)

    @on(OptionList.OptionSelected, "#kb-hits")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_insert_link()

    @on(Input.Changed, "#kb-search")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.load()

    def on_key(self, event: Key) -> None:
        # Up and down in the search line move through the list, as in a command palette.
        if event.key in ("up", "down") and isinstance(self.screen.focused, Input):
            event.stop()
            hits = self.query_one(HitList)
            hits.action_cursor_down() if event.key == "down" else hits.action_cursor_up()

    @on(Input.Submitted, "#kb-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(HitList).focus()

    @on(SelectionList.SelectionToggled, "#kb-steps")
    def _toggled(self, event: SelectionList.SelectionToggled) -> None:
        event.stop()
        article = self.current
        if article is None or not article.is_sop:
            return
        step = int(event.selection.value)
        done = step in event.selection_list.selected
        self.post_message(self.Tick(article.slug, step, article.steps[step - 1], done))

    def action_insert_link(self) -> None:
        article = self.current
        if article is not None:
            self.post_message(self.Insert(article, section=False))

    def action_insert_section(self) -> None:
        article = self.current
        if article is not None:
            self.post_message(self.Insert(article, section=True))

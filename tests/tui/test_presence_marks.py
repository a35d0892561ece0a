"""How another agent's presence looks: a compact mark in the queue row, words in the header."""

from __future__ import annotations

from types import SimpleNamespace

from workspace import NOW

from deskterm.tui.screens.ticket import title_line
from deskterm.tui.widgets.queue_view import initials, presence_mark

TICKET = SimpleNamespace(
    id=7,
    subject="Where is my order?",
    status="open",
    priority="high",
    channel="email",
    assignee="anna",
    tags=["wismo"],
    sla_state="running",
    next_deadline=None,
)


def test_an_agent_is_marked_by_two_initials():
    assert [initials(a) for a in ("anna", "ben.okafor", "cleo_k", "x", "")] == [
        "AN",
        "BO",
        "CK",
        "X",
        "?",
    ]


def test_the_queue_mark_puts_a_writer_first_and_counts_the_rest():
    assert presence_mark(()) == ("", "text")
    assert presence_mark((("ben", "viewing"),)) == ("◉BE ", "channel")
    assert presence_mark((("ben", "viewing"), ("zoe", "writing"))) == ("✎ZO+1 ", "warning")


def test_the_header_says_who_is_writing_and_keeps_it_longest_when_narrow():
    present = [("ben", "viewing"), ("anna", "writing")]
    wide = title_line(TICKET, NOW, ["reply"], 200, present).plain
    assert wide == (
        "#7 Where is my order?   open · high · email · anna      anna is writing, ben is viewing"
        "   wismo   ✎ draft reply"
    )
    narrow = title_line(TICKET, NOW, [], 60, [("anna", "writing")]).plain
    assert narrow == "#7 Where is my order?   open · high      anna is writing"
    narrower = title_line(TICKET, NOW, [], 55, present).plain
    assert narrower == "#7 Where is my order?   open · high      ✎anna ◉ben"
    assert title_line(TICKET, NOW, [], 50, present).plain.rstrip() == (
        "#7 Where is my order?   open · high"
    )


def test_an_agents_name_is_shown_as_written_never_as_markup():
    line = title_line(TICKET, NOW, [], 0, [("[bold red]eve[/]", "viewing")])
    assert "[bold red]eve[/] is viewing" in line.plain

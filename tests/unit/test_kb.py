"""The knowledge base: article files, the index kept current, search and suggestions."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from deskterm import kb
from deskterm.kb.articles import ArticleError, parse_article, plain_front_matter
from deskterm.kb.suggest import telling_words
from deskterm.store import Store

ARTICLE = """+++
title = "Gift wrapping"
audience = "customer"
tags = ["gift"]
url = "https://shop.example/help/gifts"
reviewed = 2026-11-01
+++
# Gift wrapping

Intro text.

## How much it costs

Three euros per parcel. See [returns](returns.md#exchanges) and [the shop](https://shop.example).

```
## not a heading inside a fence
[not a link](nowhere.md)
```

## Card messages

Up to 200 characters.
"""

SOP = """+++
title = "SOP: Gift problems"
audience = "internal"
kind = "sop"
target = "4h"
escalation = "tier 2"
+++
Do this:

1. Find the order.
2. Check the wrapping
   photo the customer sent.
3. Reply.

Later list:

1. not a step
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_an_article_file_gives_its_fields_sections_and_links() -> None:
    article = parse_article(ARTICLE, "gifts")
    assert (article.title, article.audience, article.tags) == (
        "Gift wrapping",
        "customer",
        ("gift",),
    )
    assert [s.anchor for s in article.sections] == [
        "gift-wrapping",
        "how-much-it-costs",
        "card-messages",
    ]
    assert article.section("card-messages").text == "Up to 200 characters."
    assert [(link.target, link.line) for link in article.links] == [
        ("returns.md#exchanges", 14),
        ("https://shop.example", 14),
    ]
    assert [link.internal for link in article.links] == [True, False]


def test_an_sop_has_its_numbered_steps_with_continued_lines() -> None:
    sop = parse_article(SOP, "sop-gifts")
    assert sop.is_sop
    assert sop.steps == ("Find the order.", "Check the wrapping photo the customer sent.", "Reply.")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no front matter", "must start with TOML front matter"),
        ("+++\ntitle = 'x'\n", "no closing \\+\\+\\+"),
        ("+++\ntitle = 'x'\naudience = 'everyone'\n+++\n", "audience must be customer or internal"),
        (
            "+++\ntitle = 'x'\naudience = 'customer'\ncolour = 'red'\n+++\n",
            "unknown field 'colour'",
        ),
        ("+++\naudience = 'customer'\n+++\n", "needs a title"),
        ("+++\ntitle = 'x'\naudience = 'internal'\nkind = 'sop'\n+++\n1. a\n", "target"),
        (
            "+++\ntitle = 'x'\naudience = 'internal'\nkind = 'sop'\ntarget = 'soon'\n"
            "escalation = 'y'\n+++\n1. a\n",
            "'soon' is not a duration",
        ),
        (
            "+++\ntitle = 'x'\naudience = 'internal'\nkind = 'sop'\ntarget = '1d'\n"
            "escalation = 'y'\n+++\nno steps\n",
            "numbered steps",
        ),
        ("+++\ntitle = 'x'\naudience = 'customer'\nurl = 'shop.example'\n+++\n", "url must start"),
        ("+++\ntitle = 'x'\naudience = 'customer'\nreviewed = 'last week'\n+++\n", "reviewed must"),
    ],
)
def test_a_bad_article_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ArticleError, match=message):
        parse_article(text, "x")


def test_the_stock_set_indexes_without_problems(store: Store) -> None:
    done = kb.refresh(store)
    assert done.problems == []
    slugs = {a.slug for a in kb.articles(store)}
    assert {"shipping", "returns", "refunds", "sizing", "damaged-items", "cancellations"} <= slugs
    assert {"address-changes", "amazon-rules", "ebay-rules"} <= slugs
    sops = [a for a in kb.articles(store) if a.is_sop]
    assert {s.slug for s in sops} >= {"sop-wismo", "sop-refund", "sop-escalation"}
    assert all(s.steps and s.target and s.escalation for s in sops)


def test_an_edited_file_is_read_again_and_a_removed_one_leaves(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path, "gifts.md", ARTICLE)
    write(tmp_path, "ops/sop-gifts.md", SOP)
    first = kb.refresh(store, tmp_path, stock=False)
    assert sorted(first.read) == ["gifts", "ops/sop-gifts"]
    assert kb.refresh(store, tmp_path, stock=False).read == []

    path.write_text(ARTICLE.replace("Three euros", "Five pounds"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert kb.refresh(store, tmp_path, stock=False).read == ["gifts"]
    assert "Five pounds" in kb.article(store, "gifts").section("how-much-it-costs").text
    assert [h.article.slug for h in kb.search(store, "pounds")] == ["gifts"]
    assert kb.search(store, "euros") == []

    path.unlink()
    assert kb.refresh(store, tmp_path, stock=False).removed == ["gifts"]
    with pytest.raises(kb.KbError, match="no article 'gifts'"):
        kb.article(store, "gifts")


def test_a_broken_file_leaves_the_index_with_its_problem(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "gifts.md", ARTICLE)
    kb.refresh(store, tmp_path, stock=False)
    path.write_text("no front matter any more", encoding="utf-8")
    done = kb.refresh(store, tmp_path, stock=False)
    assert done.removed == ["gifts"]
    assert [p.source for p in done.problems] == [str(path)]


def test_the_users_article_replaces_the_stock_one_of_its_name(store: Store, tmp_path: Path) -> None:
    write(tmp_path, "shipping.md", ARTICLE.replace("Gift wrapping", "Our own shipping page"))
    kb.refresh(store, tmp_path)
    shipping = kb.article(store, "shipping")
    assert (shipping.title, shipping.origin) == ("Our own shipping page", "user")
    assert kb.article(store, "returns").origin == "stock"


def test_search_finds_every_word_by_prefix_and_filters_by_audience(store: Store) -> None:
    kb.refresh(store)
    found = [h.article.slug for h in kb.search(store, "refund statem")]
    assert found[0] == "refunds"
    internal = kb.search(store, "refund", audience="internal")
    assert internal and all(h.article.audience == "internal" for h in internal)


def test_suggestions_for_a_wismo_ticket_put_shipping_and_its_sop_first(store: Store) -> None:
    kb.refresh(store)
    facts = kb.TicketFacts(
        channel="email",
        tags=("wismo",),
        text="Where is my order?\nI ordered a week ago and the tracking has not updated since Monday.",
    )
    hits = kb.suggest(store, facts)
    assert {h.article.slug for h in hits[:2]} == {"shipping", "sop-wismo"}
    assert [a.slug for a in kb.sops_for(hits)] == ["sop-wismo"]


def test_suggestions_read_the_message_when_the_ticket_has_no_tags(store: Store) -> None:
    kb.refresh(store)
    facts = kb.TicketFacts(
        channel="email", text="My parcel tracking shows no movement, where is it?"
    )
    slugs = [h.article.slug for h in kb.suggest(store, facts)]
    assert slugs[0] == "shipping"
    assert kb.sops_for(kb.suggest(store, facts)) == []


def test_suggestions_leave_out_articles_for_other_channels(store: Store) -> None:
    kb.refresh(store)
    email = kb.TicketFacts(channel="email", tags=("dispute",), text="A-to-z claim opened")
    assert "sop-marketplace-dispute" not in [h.article.slug for h in kb.suggest(store, email)]
    amazon = kb.TicketFacts(channel="amazon", tags=("dispute",), text="A-to-z claim opened")
    assert kb.suggest(store, amazon)[0].article.slug == "sop-marketplace-dispute"


def test_an_article_for_the_tickets_channel_is_suggested_though_no_word_names_it(
    store: Store,
) -> None:
    kb.refresh(store)
    facts = kb.TicketFacts(channel="ebay", tags=("wismo",), text="Any news on my parcel?")
    rules = next(h for h in kb.suggest(store, facts) if h.article.slug == "ebay-rules")
    assert rules.reasons == ("for ebay",)
    email = kb.TicketFacts(channel="email", tags=("wismo",), text="Any news on my parcel?")
    assert "ebay-rules" not in [h.article.slug for h in kb.suggest(store, email)]


def test_an_intent_counts_most(store: Store) -> None:
    kb.refresh(store)
    facts = kb.TicketFacts(channel="email", intent="cancel", text="please help with my order")
    assert kb.suggest(store, facts)[0].article.slug == "cancellations"


@pytest.mark.parametrize(
    "lines",
    [
        [
            'title = "Gift wrapping"',
            "",
            "# a comment",
            'tags = ["a", "b",]',
            "reviewed = 2026-11-01",
        ],
        [
            "tags=[]",
            'url = "/help/x"\r',
            'owner = "tab\there é"',
            'channels = [ "ebay" , "amazon" ]',
        ],
    ],
)
def test_plain_front_matter_is_read_without_tomllib_and_as_tomllib_reads_it(lines) -> None:
    fast = plain_front_matter(lines)
    assert fast is not None
    assert fast == tomllib.loads("\n".join(line.removesuffix("\r") for line in lines))


@pytest.mark.parametrize(
    "line",
    [
        'title = "escaped \\" quote"',
        "title = 'literal'",
        'title = "x" # trailing comment',
        "  title = 'indented'",
        "reviewed = 2026-02-30",
        "target = 5",
        'a.b = "dotted"',
        "[table]",
        "# control \x01 in a comment",
    ],
)
def test_front_matter_plain_patterns_do_not_read_goes_to_tomllib(line: str) -> None:
    assert plain_front_matter([line]) is None


def test_a_repeated_key_goes_to_tomllib_which_refuses_it() -> None:
    assert plain_front_matter(['title = "a"', 'title = "b"']) is None
    with pytest.raises(ArticleError, match="not valid TOML"):
        parse_article('+++\ntitle = "a"\ntitle = "b"\naudience = "customer"\n+++\n', "x")


def test_edits_keep_the_full_text_index_in_step_with_the_articles(
    store: Store, tmp_path: Path
) -> None:
    first = write(tmp_path, "gifts.md", ARTICLE)
    last = write(tmp_path, "wraps.md", ARTICLE.replace("Gift wrapping", "Wrapping paper"))
    kb.refresh(store, tmp_path, stock=False)
    for path, word in ((first, "ribbons"), (last, "bows")):
        path.write_text(ARTICLE.replace("Three euros", f"Free {word}"), encoding="utf-8")
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        kb.refresh(store, tmp_path, stock=False)
        assert [h.article.slug for h in kb.search(store, word)] == [path.stem]
    assert kb.search(store, "euros") == []
    # FTS5 compares its index with the articles' rows and raises when they differ.
    store.conn.execute("INSERT INTO kb_fts (kb_fts) VALUES ('integrity-check')")


def test_the_text_query_takes_the_rarest_words_and_never_one_in_half_the_articles(
    store: Store, tmp_path: Path
) -> None:
    for n, words in enumerate(("common walrus", "common walrus", "pelican walrus", "otter")):
        write(tmp_path, f"a{n}.md", ARTICLE.replace("Intro text.", words))
    kb.refresh(store, tmp_path, stock=False)
    words = ("common", "walrus", "pelican", "otter")
    assert telling_words(store, words) == ("pelican", "otter")
    assert telling_words(store, words, budget=1) == ("pelican",)

"""What an article is: a Markdown file with TOML front matter, read into its fields, sections,
links and, for an SOP, its numbered steps.

The front matter sits between two `+++` lines at the top (Hugo's convention; TOML like macros,
rules and the settings, read by the standard library's tomllib):

    +++
    title = "Where is my order?"
    audience = "customer"            # or "internal": never inserted into a reply
    kind = "sop"                     # "article" (the default) or "sop"
    tags = ["wismo", "shipping"]
    intents = ["wismo"]
    channels = ["email", "ebay"]     # empty: every channel
    url = "/help/shipping"           # a customer article's public page; "/..." is on [shop] url
    owner = "anna"
    reviewed = 2026-10-01
    target = "1d"                    # an SOP's resolution target (the durations grammar)
    escalation = "tier 2 when ..."   # an SOP's escalation path
    +++

Front matter of plain lines (`key = "text"`, `key = ["a", "b"]`, `key = 2026-10-01`, comments)
is read by a few patterns; anything else goes to tomllib, which reads it the same way but takes
ten times as long (a fifth of indexing 5,000 articles).

The body is scanned line by line (headings, links, the first numbered list) rather than by a
Markdown parser: markdown-it-py takes ~2 ms for a 3 KB article, which makes 5,000 articles ten
seconds to index; the scan takes a few hundred microseconds and code fences are respected.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from deskterm.durations import DurationError, parse_duration

AUDIENCES = ("customer", "internal")
KINDS = ("article", "sop")
FIELDS = frozenset(
    {
        "title",
        "audience",
        "kind",
        "tags",
        "intents",
        "channels",
        "url",
        "owner",
        "reviewed",
        "target",
        "escalation",
    }
)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$")
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
STEP_RE = re.compile(r"^ {0,3}(\d{1,3})[.)][ \t]+(.*)$")
LINK_RE = re.compile(r"(?<!!)\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN_RE = re.compile(r"`[^`\n]*`")
WORD_RE = re.compile(r"\w+")
# TOML basic strings without escapes or control characters, which is what front matter holds.
_STRING = r'"[^"\\\x00-\x08\x0a-\x1f\x7f]*"'
PLAIN_LINE_RE = re.compile(
    rf"^([A-Za-z0-9_-]+)[ \t]*=[ \t]*(?:({_STRING})|\[[ \t]*((?:{_STRING}[ \t]*,[ \t]*)*"
    rf"(?:{_STRING})?)[ \t]*\]|(\d{{4}}-\d{{2}}-\d{{2}}))[ \t]*\r?$"
)
BLANK_OR_COMMENT_RE = re.compile(r"^[ \t]*(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?\r?$")
QUOTED_RE = re.compile(_STRING)


class ArticleError(ValueError):
    """A file is not a valid article; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the text under it, up to the next heading of the same or a higher level."""

    heading: str
    anchor: str
    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A Markdown link in an article's body, with the line it is on (1-based, in the file)."""

    text: str
    target: str
    line: int

    @property
    def internal(self) -> bool:
        """A link to another article of the folder (no scheme, not a mail address)."""
        return ":" not in self.target.split("#", 1)[0] and not self.target.startswith("/")


@dataclass(frozen=True, slots=True)
class Article:
    """One article or SOP as its file says, with where it came from."""

    slug: str
    title: str
    audience: str
    body: str
    kind: str = "article"
    tags: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    url: str = ""
    owner: str = ""
    reviewed: date | None = None
    target: str = ""
    escalation: str = ""
    source: str = ""
    origin: str = "user"
    sections: tuple[Section, ...] = ()
    links: tuple[Link, ...] = ()
    steps: tuple[str, ...] = ()
    # The line of the file the body starts on, so links report the line a person sees.
    body_line: int = 1
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_sop(self) -> bool:
        return self.kind == "sop"

    @property
    def for_customers(self) -> bool:
        return self.audience == "customer"

    def section(self, anchor: str) -> Section | None:
        return next((s for s in self.sections if s.anchor == anchor), None)

    def to_dict(self) -> dict[str, Any]:
        # By hand, not dataclasses.asdict: its deep copies were a third of indexing's time.
        data = {name: getattr(self, name) for name in PLAIN_FIELDS}
        data["reviewed"] = self.reviewed.isoformat() if self.reviewed else None
        data["sections"] = [
            {"heading": s.heading, "anchor": s.anchor, "level": s.level, "text": s.text}
            for s in self.sections
        ]
        data["links"] = [{"text": x.text, "target": x.target, "line": x.line} for x in self.links]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        values = dict(data)
        values["reviewed"] = date.fromisoformat(data["reviewed"]) if data["reviewed"] else None
        values["sections"] = tuple(Section(**s) for s in data["sections"])
        values["links"] = tuple(Link(**link) for link in data["links"])
        for name in ("tags", "intents", "channels", "steps", "warnings"):
            values[name] = tuple(data[name])
        return cls(**values)


PLAIN_FIELDS = tuple(
    f.name for f in fields(Article) if f.name not in ("reviewed", "sections", "links")
)


def anchor_of(heading: str) -> str:
    """The anchor a heading gets, as GitHub makes it: lower case, spaces to -, punctuation gone."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """The front matter's table, the body, and the line the body starts on."""
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "+++":
        raise ArticleError("must start with TOML front matter between two +++ lines")
    try:
        end = next(n for n in range(1, len(lines)) if lines[n].strip() == "+++")
    except StopIteration:
        raise ArticleError("front matter has no closing +++ line") from None
    meta = plain_front_matter(lines[1:end])
    if meta is None:
        try:
            meta = tomllib.loads("\n".join(lines[1:end]))
        except tomllib.TOMLDecodeError as exc:
            raise ArticleError(f"front matter is not valid TOML: {exc}") from None
    return meta, "\n".join(lines[end + 1 :]).strip("\n"), end + 2


def plain_front_matter(lines: list[str]) -> dict[str, Any] | None:
    """The table of front matter made only of plain lines, as tomllib reads it; None when a line
    is anything else (an escape, a multi-line value, a table, a repeated key)."""
    meta: dict[str, Any] = {}
    for line in lines:
        if BLANK_OR_COMMENT_RE.match(line):
            continue
        match = PLAIN_LINE_RE.match(line)
        if match is None or match.group(1) in meta:
            return None
        key, text, items, day = match.groups()
        if text is not None:
            meta[key] = text[1:-1]
        elif day is not None:
            try:
                meta[key] = date.fromisoformat(day)
            except ValueError:
                return None
        else:
            meta[key] = [quoted[1:-1] for quoted in QUOTED_RE.findall(items)]
    return meta


def _text(meta: dict[str, Any], key: str, default: str = "") -> str:
    value = meta.get(key, default)
    if not isinstance(value, str):
        raise ArticleError(f"{key} must be text, not {type(value).__name__}")
    return value.strip()


def _names(meta: dict[str, Any], key: str) -> tuple[str, ...]:
    value = meta.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ArticleError(f'{key} must be a list of names, like ["wismo", "shipping"]')
    return tuple(v.strip().lower() for v in value if v.strip())


def _reviewed(meta: dict[str, Any]) -> date | None:
    value = meta.get("reviewed")
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ArticleError(f"reviewed must be a date like 2026-10-01, not {value!r}")


def scan_body(body: str, first_line: int) -> tuple[list[Section], list[Link], list[str]]:
    """Sections (by heading), links and the first numbered list's items, outside code fences."""
    headings: list[tuple[int, int, str]] = []
    links: list[Link] = []
    steps: list[str] = []
    fence = ""
    list_state = "before"  # before the first numbered list, in it, or after it
    lines = body.split("\n")
    for number, line in enumerate(lines):
        # Each pattern only on the lines that can hold it: the scan is most of indexing's time.
        first = line.lstrip()[:1]
        marker = FENCE_RE.match(line) if first in ("`", "~") else None
        if fence:
            fence = "" if marker and marker.group(1)[0] == fence[0] else fence
            continue
        if marker:
            fence = marker.group(1)
            continue
        heading = HEADING_RE.match(line) if first == "#" else None
        if heading:
            headings.append((number, len(heading.group(1)), heading.group(2).strip()))
        if "](" in line:
            bare = CODE_SPAN_RE.sub("", line) if "`" in line else line
            for match in LINK_RE.finditer(bare):
                links.append(Link(match.group(1), match.group(2), first_line + number))
        if list_state == "in" or (list_state == "before" and first.isdigit()):
            list_state = _scan_step(line, list_state, steps)
    sections = []
    for index, (start, level, heading_text) in enumerate(headings):
        end = next((n for n, lvl, _ in headings[index + 1 :] if lvl <= level), len(lines))
        text = "\n".join(lines[start + 1 : end]).strip("\n")
        sections.append(Section(heading_text, anchor_of(heading_text), level, text))
    return sections, links, steps


def _scan_step(line: str, state: str, steps: list[str]) -> str:
    """Follow the first numbered list: an item starts a step, an indented line continues it."""
    if state == "after":
        return state
    item = STEP_RE.match(line)
    if item:
        steps.append(item.group(2).strip())
        return "in"
    if state == "in":
        if line.startswith(("   ", "\t")) and line.strip():
            steps[-1] = f"{steps[-1]} {line.strip()}"
            return "in"
        return "in" if not line.strip() else "after"
    return state


def parse_article(text: str, slug: str, *, source: str = "", origin: str = "user") -> Article:
    """One article from its file's text; ArticleError says what is wrong with it."""
    if not SLUG_RE.match(slug):
        raise ArticleError(
            f"file name {slug!r} must be lower-case letters, digits, - and _ (ending in .md)"
        )
    meta, body, body_line = split_front_matter(text)
    unknown = sorted(set(meta) - FIELDS)
    if unknown:
        raise ArticleError(f"unknown field {unknown[0]!r}; fields are {', '.join(sorted(FIELDS))}")
    title = _text(meta, "title")
    if not title:
        raise ArticleError("needs a title")
    audience, kind = _text(meta, "audience"), _text(meta, "kind", "article")
    if audience not in AUDIENCES:
        raise ArticleError(f"audience must be customer or internal, not {audience!r}")
    if kind not in KINDS:
        raise ArticleError(f"kind must be article or sop, not {kind!r}")
    url = _text(meta, "url")
    if url and not url.startswith(("https://", "http://", "/")):
        raise ArticleError(
            f"url must start with https://, http:// or / (a page of the [shop] url), not {url!r}"
        )
    sections, links, steps = scan_body(body, body_line)
    article = Article(
        slug=slug,
        title=title,
        audience=audience,
        body=body,
        kind=kind,
        tags=_names(meta, "tags"),
        intents=_names(meta, "intents"),
        channels=_names(meta, "channels"),
        url=url,
        owner=_text(meta, "owner"),
        reviewed=_reviewed(meta),
        target=_text(meta, "target"),
        escalation=_text(meta, "escalation"),
        source=source,
        origin=origin,
        sections=tuple(sections),
        links=tuple(links),
        steps=tuple(steps) if kind == "sop" else (),
        body_line=body_line,
    )
    _check_sop(article)
    return article


def target_of(article: Article) -> timedelta:
    """An SOP's resolution target as a duration."""
    return parse_duration(article.target)


def _check_sop(article: Article) -> None:
    if not article.is_sop:
        if article.target or article.escalation:
            raise ArticleError('target and escalation belong to an SOP (kind = "sop")')
        return
    if not article.target:
        raise ArticleError('an SOP needs a target resolution time, like target = "1d"')
    try:
        target_of(article)
    except DurationError as exc:
        raise ArticleError(f"target: {exc}") from None
    if not article.escalation:
        raise ArticleError("an SOP needs an escalation path (escalation = ...)")
    if not article.steps:
        raise ArticleError("an SOP needs numbered steps (a list 1. 2. 3. in its body)")


def link_target(article: Article, link: Link) -> tuple[str, str]:
    """The slug and section anchor an internal link points at (the article's own for "#x")."""
    path, _, anchor = link.target.partition("#")
    if not path:
        return article.slug, anchor
    folder = posixpath.dirname(article.slug)
    slug = posixpath.normpath(posixpath.join(folder, path)).removesuffix(".md")
    return slug, anchor


def words_of(text: str) -> list[str]:
    """The words of `text`, lower case, as the suggestions compare them."""
    return [w.lower() for w in WORD_RE.findall(text)]

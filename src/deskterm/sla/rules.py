"""SLA decisions as pure functions: business calendars, business-time arithmetic, policies, the
clock rules over a ticket's history, clock states and countdown text.

Nothing here reads the clock, the store or a file; `now` is always an argument. The rules are
written down in docs/sla.md; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

FIRST_REPLY = "first_reply"
NEXT_REPLY = "next_reply"
RESOLUTION = "resolution"

RUNNING = "running"
WARNING = "warning"
BREACHED = "breached"
PAUSED = "paused"
MET = "met"

WAITING_STATUSES = frozenset({"pending", "on_hold"})
DONE_STATUSES = frozenset({"solved", "closed"})

# A deadline more than ten years of calendar away means the calendar is (nearly) never open.
MAX_SEARCH_DAYS = 3660
ZERO = timedelta(0)
DAY = timedelta(days=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CalendarError(ValueError):
    """The calendar has no business hours to count in."""


@lru_cache(maxsize=64)
def _country_holidays(country: str, subdivision: str | None) -> Any:
    import holidays  # a large package; only calendars that name a country pay for it

    return holidays.country_holidays(country, subdiv=subdivision)


Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Calendar:
    """Business hours: weekly spans in a time zone, minus holidays; or always open (24/7).

    `week` holds seven tuples (Monday first) of (start, end) minutes after local midnight;
    an end of 1440 means midnight at the end of the day. Spans are sorted and do not overlap.
    """

    name: str
    timezone: str = "UTC"
    week: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    holidays: frozenset[date] = frozenset()
    country: str | None = None
    subdivision: str | None = None
    always_open: bool = False
    _days: dict[date, tuple[Span, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    # Business time before each local midnight, counted from the first day anyone asked about;
    # kept for a contiguous range of days (_bounds), so measuring a month costs two look-ups.
    _before: dict[date, timedelta] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _bounds: list[date] = field(default_factory=list, init=False, compare=False, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_holiday(self, day: date) -> bool:
        if day in self.holidays:
            return True
        return bool(self.country) and day in _country_holidays(self.country, self.subdivision)

    def spans(self, day: date) -> tuple[Span, ...]:
        """The open spans of local `day`, as UTC moments, exact across DST changes."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        result: list[Span] = []
        if not self.is_holiday(day):
            zone = self.zone
            for start, end in self.week[day.weekday()]:
                opens = _local(day, start, zone)
                closes = _local(day, end, zone)
                # A span inside a spring-forward gap has no real time in it.
                if closes > opens:
                    result.append((opens, closes))
        spans = tuple(result)
        self._days[day] = spans
        return spans

    def is_open(self, moment: datetime) -> bool:
        """True when `moment` falls inside business hours (a span's closing moment counts)."""
        if self.always_open:
            return True
        day = moment.astimezone(self.zone).date()
        return any(
            opens <= moment <= closes for d in (day - DAY, day) for opens, closes in self.spans(d)
        )

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest moment at which `duration` of business time has passed since `start`."""
        if self.always_open or duration <= ZERO:
            return start + max(duration, ZERO)
        remaining = duration
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_SEARCH_DAYS):
            for opens, closes in self.spans(day):
                if closes <= start:
                    continue
                begin = max(opens, start)
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += DAY
        raise CalendarError(f"calendar {self.name!r} has no business hours in ten years")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end` (zero when `end` is not later)."""
        if end <= start:
            return ZERO
        if self.always_open:
            return end - start
        return self._counted_until(end) - self._counted_until(start)

    def _counted_until(self, moment: datetime) -> timedelta:
        day = moment.astimezone(self.zone).date()
        total = self._open_before(day)
        for opens, closes in self.spans(day):
            if opens < moment:
                total += min(closes, moment) - opens
        return total

    def _open_before(self, day: date) -> timedelta:
        known = self._before
        found = known.get(day)
        if found is not None:
            return found
        bounds = self._bounds
        if not bounds:
            known[day] = ZERO
            bounds[:] = [day, day]
            return ZERO
        first, last = bounds
        if day > last:
            total, walk = known[last], last
            while walk < day:
                total += self._open_on(walk)
                walk += DAY
                known[walk] = total
            bounds[1] = day
        else:
            total, walk = known[first], first
            while walk > day:
                walk -= DAY
                total -= self._open_on(walk)
                known[walk] = total
            bounds[0] = day
        return known[day]

    def _open_on(self, day: date) -> timedelta:
        return sum((closes - opens for opens, closes in self.spans(day)), ZERO)


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    if minute >= 1440:
        day, minute = day + DAY, minute - 1440
    # fold=0: an ambiguous wall time is its first occurrence, a missing one maps forward.
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return wall.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Policy:
    """Targets for the tickets it matches. Empty match sets mean "any"; all given sets must match."""

    name: str
    calendar: Calendar
    first_reply: timedelta | None = None
    next_reply: timedelta | None = None
    resolution: timedelta | None = None
    # The warning starts when this share of the target remains, or this much time remains.
    warn_fraction: float | None = 0.25
    warn_before: timedelta | None = None
    channels: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    # Multiplies every target for a priority, e.g. urgent tickets get half the time.
    priority_scale: tuple[tuple[str, float], ...] = ()

    def matches(self, channel: str, priority: str, tags: frozenset[str], account: str) -> bool:
        return (
            (not self.channels or channel in self.channels)
            and (not self.priorities or priority in self.priorities)
            and (not self.tags or bool(self.tags & tags))
            and (not self.accounts or account in self.accounts)
        )

    def why(self) -> str:
        """The match condition in words, for `sla explain`."""
        parts = [
            f"{label} is {' or '.join(sorted(values))}"
            for label, values in (
                ("channel", self.channels),
                ("priority", self.priorities),
                ("tag", self.tags),
                ("account", self.accounts),
            )
            if values
        ]
        return " and ".join(parts) if parts else "it matches every ticket"

    def target(self, kind: str, priority: str) -> timedelta | None:
        """The target for clock `kind` at `priority`, scaled, to the whole second."""
        if kind == FIRST_REPLY:
            base = self.first_reply
        elif kind == NEXT_REPLY:
            base = self.next_reply
        else:
            base = self.resolution
        if base is None:
            return None
        for scaled, factor in self.priority_scale:
            if scaled == priority:
                return timedelta(seconds=max(1, round(base.total_seconds() * factor)))
        return base

    def warning(self, target: timedelta) -> timedelta:
        """How long before the deadline the clock turns to warning."""
        if self.warn_before is not None:
            return min(self.warn_before, target)
        fraction = self.warn_fraction or 0.0
        return timedelta(seconds=round(target.total_seconds() * fraction))


def choose_policy(
    policies: tuple[Policy, ...] | list[Policy],
    channel: str,
    priority: str,
    tags: frozenset[str],
    account: str,
) -> Policy | None:
    """The first policy, in configured order, that matches the ticket."""
    for policy in policies:
        if policy.matches(channel, priority, tags, account):
            return policy
    return None


@dataclass(frozen=True, slots=True)
class History:
    """What the clock rules need to know about a ticket, already cleaned of undone events.

    Messages are sorted moments: customer messages exclude automatic ones, agent replies exclude
    notes and auto-replies. `statuses` are (moment, new status) in order, starting from "new" at
    `created`; `snoozes` are (moment, snoozed until or None for woken).
    """

    created: datetime
    customer_messages: tuple[datetime, ...] = ()
    agent_replies: tuple[datetime, ...] = ()
    statuses: tuple[tuple[datetime, str], ...] = ()
    snoozes: tuple[tuple[datetime, datetime | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a clock's timeline: when, what happened to the clock, and why."""

    at: datetime
    what: str
    why: str


@dataclass(frozen=True, slots=True)
class Clock:
    """One SLA clock of one ticket as of `now`."""

    kind: str
    started: datetime
    target: timedelta
    state: str
    # Business time counted so far; None when computed without explain (see compute_clocks).
    elapsed: timedelta | None
    # While counting: the deadline (past when overdue). Once breached: the breach moment.
    due: datetime | None
    warn_at: datetime | None
    stopped: datetime | None
    counting: bool
    steps: tuple[Step, ...]

    @property
    def active(self) -> bool:
        """True while the clock counts down now, overdue or not; the queue sorts by these."""
        return self.counting and self.due is not None

    @property
    def counted(self) -> timedelta:
        """The business time counted so far, for a clock computed with explain."""
        if self.elapsed is None:
            raise ValueError(f"the {self.kind} clock was computed without explain")
        return self.elapsed


@dataclass(frozen=True, slots=True)
class Pause:
    """A stretch when the clocks stand still; `end` None means it still lasts."""

    start: datetime
    end: datetime | None
    why: str


def pauses(history: History) -> list[Pause]:
    """When the clocks stand still (pending, on hold, snoozed, solved), merged and in order."""
    raw: list[Pause] = []
    status, since = "new", history.created
    for moment, new_status in history.statuses:
        if new_status == status:
            continue
        if _stands_still(status) and moment > since:
            raw.append(Pause(since, moment, status.replace("_", " ")))
        status, since = new_status, moment
    if _stands_still(status):
        raw.append(Pause(since, None, status.replace("_", " ")))
    for index, (moment, until) in enumerate(history.snoozes):
        following = history.snoozes[index + 1][0] if index + 1 < len(history.snoozes) else None
        end = until if following is None or until is None else min(until, following)
        if end is not None and end > moment:
            raw.append(Pause(moment, end, "snoozed"))
    return _merge(sorted(raw, key=lambda p: p.start))


def _stands_still(status: str) -> bool:
    return status in WAITING_STATUSES or status in DONE_STATUSES


def _merge(items: list[Pause]) -> list[Pause]:
    merged: list[Pause] = []
    for item in items:
        last = merged[-1] if merged else None
        if last is not None and (last.end is None or item.start <= last.end):
            end = None if last.end is None or item.end is None else max(last.end, item.end)
            why = last.why if item.why in last.why.split(" + ") else f"{last.why} + {item.why}"
            merged[-1] = Pause(last.start, end, why)
        else:
            merged.append(item)
    return merged


def _solves(history: History) -> list[datetime]:
    """Moments the ticket moved into solved or closed from a working status."""
    moments, previous = [], "new"
    for moment, status in history.statuses:
        if status in DONE_STATUSES and previous not in DONE_STATUSES:
            moments.append(moment)
        previous = status
    return moments


def compute_clocks(
    history: History, policy: Policy, priority: str, now: datetime, *, explain: bool = True
) -> list[Clock]:
    """Every clock the policy runs on this ticket, in the order they started, as of `now`.

    Only what happened up to `now` counts, so the same history gives the same answer later.

    Without `explain` the clocks leave out the business time counted so far (`elapsed`),
    which only an explanation shows and which costs a tenth of the work.
    """
    stills = pauses(history)
    solves = [m for m in _solves(history) if m <= now]
    replies = [m for m in history.agent_replies if m <= now]
    customers = [m for m in history.customer_messages if m <= now]
    clocks: list[Clock] = []

    def reply_clock(kind: str, start: datetime, why: str) -> datetime | None:
        """Add a reply clock from `start`; returns the moment it stopped, or None if it runs."""
        reply = next((m for m in replies if m >= start), None)
        solve = next((m for m in solves if m > start), None)
        stop, stop_why = None, ""
        if reply is not None and (solve is None or reply <= solve):
            stop, stop_why = reply, "agent replied"
        elif solve is not None:
            stop, stop_why = solve, "ticket solved"
        target = policy.target(kind, priority)
        if target is not None:
            clocks.append(
                run_clock(kind, start, why, target, policy, stills, stop, stop_why, now, explain)
            )
        return stop

    if customers:
        stop = reply_clock(FIRST_REPLY, customers[0], "first customer message")
        while stop is not None:
            following = next((m for m in customers if m > stop), None)
            if following is None:
                break
            stop = reply_clock(NEXT_REPLY, following, "customer wrote after the last reply")
    target = policy.target(RESOLUTION, priority)
    if target is not None and history.created <= now:
        final = next((s for m, s in reversed(history.statuses) if m <= now), "new")
        done = final in DONE_STATUSES and bool(solves)
        clocks.append(
            run_clock(
                RESOLUTION,
                history.created,
                "ticket created",
                target,
                policy,
                stills,
                solves[-1] if done else None,
                f"ticket {final}",
                now,
                explain,
            )
        )
    return clocks


def run_clock(
    kind: str,
    start: datetime,
    start_why: str,
    target: timedelta,
    policy: Policy,
    stills: list[Pause],
    stop: datetime | None,
    stop_why: str,
    now: datetime,
    explain: bool = True,
) -> Clock:
    """Count one clock from `start` to `stop` (or `now`) in business time, skipping pauses."""
    calendar = policy.calendar
    limit = stop if stop is not None else now
    steps = [Step(start, "started", start_why)]
    spans, held = _counted_spans(start, stills, limit, stop is not None, steps)
    counting = not held and stop is None
    due = _reach(calendar, spans, target)
    counted_until = now if counting else (spans[-1][1] if spans else None)
    breached = due is not None and counted_until is not None and due < counted_until
    # Only a clock that still counts down can turn to warning; the others skip the arithmetic.
    warn_at = None
    if counting and not breached:
        warn_at = _reach(calendar, spans, target - policy.warning(target))
    elapsed = sum((calendar.between(s, e or now) for s, e in spans), ZERO) if explain else None
    if stop is not None:
        steps.append(Step(stop, "stopped", stop_why))
        state = BREACHED if breached else MET
    elif breached:
        state = BREACHED
    elif not counting:
        state = PAUSED
    elif warn_at is not None and now >= warn_at:
        state = WARNING
    else:
        state = RUNNING
    if due is not None and breached:
        steps.append(Step(due, "breached", f"target {_target_words(target)} passed"))
        steps.sort(key=lambda s: s.at)
    elif due is not None and counting:
        steps.append(Step(due, "due", f"target {_target_words(target)}"))
    return Clock(
        kind=kind,
        started=start,
        target=target,
        state=state,
        elapsed=elapsed,
        due=due if counting or breached else None,
        warn_at=warn_at,
        stopped=stop,
        counting=counting,
        steps=tuple(steps),
    )


def _counted_spans(
    start: datetime, stills: list[Pause], limit: datetime, stopped: bool, steps: list[Step]
) -> tuple[list[tuple[datetime, datetime | None]], bool]:
    """The stretches a clock counts from `start` to `limit`, around its pauses, noting each pause
    in `steps`. Returns them and whether a pause still holds the clock at the limit; a clock that
    is neither held nor `stopped` counts on, so its last span is open (end None)."""
    spans: list[tuple[datetime, datetime | None]] = []
    cursor = start
    for pause in stills:
        if pause.end is not None and pause.end <= cursor:
            continue
        # A pause that begins right now already holds the clock; one at the stop changes nothing.
        if pause.start > limit or (stopped and pause.start >= limit):
            break
        if pause.start > cursor:
            spans.append((cursor, pause.start))
        solved = pause.why.split(" + ")[0] in DONE_STATUSES
        steps.append(Step(max(pause.start, start), "stopped" if solved else "paused", pause.why))
        if pause.end is None or pause.end > limit:
            return spans, True
        steps.append(Step(pause.end, "resumed", "ticket reopened" if solved else "back to work"))
        cursor = pause.end
    spans.append((cursor, limit if stopped else None))
    return spans, False


def _reach(
    calendar: Calendar, spans: list[tuple[datetime, datetime | None]], amount: timedelta
) -> datetime | None:
    """The moment the counted business time first reaches `amount`; an open last span projects."""
    counted = ZERO
    for start, end in spans:
        remaining = amount - counted
        if end is None:
            return calendar.add(start, remaining)
        here = calendar.between(start, end)
        if here >= remaining:
            return calendar.add(start, remaining)
        counted += here
    return None


@dataclass(frozen=True, slots=True)
class Summary:
    """What the ticket row stores: the nearest active deadline, its warning moment and a state."""

    deadline: datetime | None
    warn_at: datetime | None
    state: str
    # The next moment the state changes with no new event (warning, breach, end of a snooze).
    recheck_at: datetime | None


def summarize(clocks: list[Clock], snoozed_until: datetime | None, now: datetime) -> Summary:
    """Fold a ticket's clocks into the queue's view: nearest active deadline first."""
    # The active clocks (see Clock.active), each with its deadline.
    active = [(c.due, c) for c in clocks if c.counting and c.due is not None]
    if active:
        _, nearest = min(active, key=itemgetter(0))
        # Any counting clock's next change: the later clocks must still get their breach event.
        upcoming = [
            due if c.state == WARNING else c.warn_at for due, c in active if c.state != BREACHED
        ]
        recheck = min((m for m in upcoming if m is not None), default=None)
        return Summary(nearest.due, nearest.warn_at, nearest.state, recheck)
    if any(c.state == PAUSED or (c.state == BREACHED and c.stopped is None) for c in clocks):
        wake = snoozed_until if snoozed_until is not None and snoozed_until > now else None
        return Summary(None, None, PAUSED, wake)
    if not clocks:
        return Summary(None, None, "", None)
    state = BREACHED if any(c.state == BREACHED for c in clocks) else MET
    return Summary(None, None, state, None)


def format_duration(amount: timedelta, *, days_unit: bool = True) -> str:
    """A duration the way people say it: "2h", "1h 30m", "3d 4h", "45s".

    Targets are business time, where a "day" of 24 hours would mislead, so they pass
    days_unit=False and read "24h".
    """
    seconds = int(amount.total_seconds())
    days, rest = divmod(seconds, 86400) if days_unit else (0, seconds)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    if secs and not days and not hours:
        parts.append(f"{secs}s")
    return " ".join(parts[:2]) or "0s"


@lru_cache(maxsize=256)
def _target_words(target: timedelta) -> str:
    # Every refresh names its targets; a handful of distinct targets exist, so remember them.
    return format_duration(target, days_unit=False)


def countdown(deadline: datetime, now: datetime) -> str:
    """Wall-clock time left to `deadline`: "1h 12m", "45s", or "overdue 1h 12m" after it."""
    left = deadline - now
    if left >= ZERO:
        return format_duration(left)
    return f"overdue {format_duration(-left)}"

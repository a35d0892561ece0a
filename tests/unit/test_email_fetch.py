"""Reading IMAP FETCH responses (INTERNALDATE without strptime) and the first-sync cut-off."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskterm.connectors.email.fetch import _internaldate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"17-Jul-1996 02:44:25 -0700", datetime(1996, 7, 17, 9, 44, 25, tzinfo=UTC)),
        (b" 7-Jul-1996 02:44:25 +0130", datetime(1996, 7, 7, 1, 14, 25, tzinfo=UTC)),
        (b"01-jan-2026 00:00:00 +0000", datetime(2026, 1, 1, tzinfo=UTC)),
        (b"31-Dec-2025 23:30:00 -0100", datetime(2026, 1, 1, 0, 30, tzinfo=UTC)),
    ],
)
def test_internaldate_is_read_in_utc(text, expected):
    assert _internaldate(text) == expected


@pytest.mark.parametrize(
    "text",
    [b"", b"31-Feb-2025 10:00:00 +0000", b"17-Jux-1996 02:44:25 -0700", b"17-Jul-1996 02:44:25"],
)
def test_a_malformed_internaldate_is_none(text):
    assert _internaldate(text) is None


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1)))
def test_internaldate_agrees_with_strptime(moment):
    text = moment.strftime("%d-%b-%Y %H:%M:%S +0200").encode()
    expected = datetime.strptime(text.decode(), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
    assert _internaldate(text) == expected


def test_since_reads_a_date_or_an_age():
    from datetime import date

    from deskterm.connector import PermanentError
    from deskterm.connectors.email.pull import since_date

    today = date(2026, 11, 22)
    assert since_date("2026-10-01", today) == date(2026, 10, 1)
    assert since_date("90d", today) == date(2026, 8, 24)
    assert since_date(" 2w ", today) == date(2026, 11, 8)
    with pytest.raises(PermanentError, match="neither a date"):
        since_date("last summer", today)


def test_batches_grow_to_the_batch_size_and_end_before_the_byte_budget():
    from deskterm.connectors.email.fetch import chunks as batches_of

    uids = list(range(1, 41))
    assert [len(c) for c in batches_of(uids, 16)] == [2, 4, 8, 16, 10]
    sizes = {uid: 10 for uid in uids} | {5: 1000, 6: 30}
    chunks = batches_of(uids, 16, sizes, budget=100)
    assert [c for c in chunks if 5 in c] == [[5]]  # bigger than the budget: on its own
    assert all(sum(sizes[u] for u in c) <= 100 for c in chunks if 5 not in c)
    assert [u for c in chunks for u in c] == uids

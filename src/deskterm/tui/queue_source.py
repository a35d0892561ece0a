"""The queue's rows by index, read page by page from the store and kept in a small LRU of pages.

The virtual queue asks for row N; the page holding it is read with a keyset from the page before
when that one is cached (an index seek), else with OFFSET (a jump, e.g. to the end).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from deskterm.store import Store
from deskterm.store.filters import Filter
from deskterm.store.queries import QueueRow, Sort, queue_count, queue_page, queue_page_before

PAGE = 100
MAX_PAGES = 64


class QueueSource:
    """A filtered, sorted view of the queue that reads only the pages someone looks at.

    Counting a long queue costs more than reading a page, so the exact count comes later (from a
    worker, through `settle_count`); until then `count` is what the pages read so far prove.
    """

    def __init__(
        self,
        store: Store,
        now: Callable[[], datetime],
        flt: Filter | None = None,
        sort: Sort = Sort.DEADLINE,
    ) -> None:
        self.store = store
        self.now = now
        self.filter = flt or Filter()
        self.sort = sort
        self.generation = 0
        self._pages: OrderedDict[int, list[QueueRow]] = OrderedDict()
        self._count: int | None = None

    def set_query(self, flt: Filter, sort: Sort | None = None) -> None:
        self.filter = flt
        if sort is not None:
            self.sort = sort
        self.invalidate()

    def invalidate(self) -> None:
        """Forget every cached page and the count; the next read sees the store as it is now."""
        self._pages.clear()
        self._count = None
        self.generation += 1

    @property
    def counted(self) -> bool:
        return self._count is not None

    @property
    def count(self) -> int:
        """The exact count when known, else the rows the cached pages prove (plus a page more)."""
        if self._count is None:
            first = self._page(0)
            if len(first) < PAGE:
                self._count = len(first)
                return self._count
            last = max(self._pages)
            rows = last * PAGE + len(self._pages[last])
            return rows + PAGE if len(self._pages[last]) == PAGE else rows
        return self._count

    def exact_count(self) -> int:
        """Count now, on this thread (for a jump to the end)."""
        if self._count is None:
            self._count = queue_count(self.store, self.filter, self.now())
        return self._count

    def settle_count(self, generation: int, count: int) -> bool:
        """Take a count made elsewhere, unless the query or the data changed since it started."""
        if generation != self.generation:
            return False
        self._count = count
        return True

    def row(self, index: int) -> QueueRow | None:
        if index < 0 or index >= self.count:
            return None
        number, within = divmod(index, PAGE)
        page = self._page(number)
        return page[within] if within < len(page) else None

    def index_of(self, ticket_id: int, near: int = 0) -> int | None:
        """Where `ticket_id` sits, looking only at cached pages (nearest first)."""
        for number in sorted(self._pages, key=lambda n: abs(n * PAGE - near)):
            for within, row in enumerate(self._pages[number]):
                if row.id == ticket_id:
                    return number * PAGE + within
        return None

    def _page(self, number: int) -> list[QueueRow]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        self._pages[number] = page = self._read(number)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    def _read(self, number: int) -> list[QueueRow]:
        """A page by keyset from a cached neighbour when possible; OFFSET only for far jumps."""
        args = (self.store, self.filter, self.now())
        before, following = self._pages.get(number - 1), self._pages.get(number + 1)
        if before is not None and len(before) == PAGE:
            return queue_page(*args, sort=self.sort, limit=PAGE, after=before[-1].key)
        if following:
            return queue_page_before(*args, sort=self.sort, limit=PAGE, before=following[0].key)
        if self._count is not None and number == (self._count - 1) // PAGE and number:
            return queue_page_before(*args, sort=self.sort, limit=self._count - number * PAGE)
        return queue_page(*args, sort=self.sort, limit=PAGE, offset=number * PAGE)

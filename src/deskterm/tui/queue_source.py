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
from deskterm.store.queries import QueueRow, Sort, queue_count, queue_page

PAGE = 100
MAX_PAGES = 64


class QueueSource:
    """A filtered, sorted view of the queue that reads only the pages someone looks at."""

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

    @property
    def count(self) -> int:
        if self._count is None:
            self._count = queue_count(self.store, self.filter, self.now())
        return self._count

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
        before = self._pages.get(number - 1)
        if before is not None and len(before) == PAGE:
            page = queue_page(
                self.store,
                self.filter,
                self.now(),
                sort=self.sort,
                limit=PAGE,
                after=before[-1].key,
            )
        else:
            page = queue_page(
                self.store,
                self.filter,
                self.now(),
                sort=self.sort,
                limit=PAGE,
                offset=number * PAGE,
            )
        self._pages[number] = page
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

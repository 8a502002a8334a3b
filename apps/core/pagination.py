"""Pages without counting: long lists (a million members, years of activity) page in
constant time because no `COUNT(*)` runs; the page knows only whether another follows."""

from dataclasses import dataclass

from django.db.models import QuerySet

MAX_PAGE = 10_000  # deeper than anyone clicks; keeps OFFSET bounded


@dataclass(frozen=True)
class SlicePage:
    object_list: list
    number: int
    per_page: int
    has_next: bool

    @classmethod
    def of(cls, queryset: QuerySet, request, *, per_page: int = 50) -> "SlicePage":
        try:
            number = int(request.GET.get("page", 1))
        except ValueError:
            number = 1
        number = min(max(number, 1), MAX_PAGE)
        start = (number - 1) * per_page
        rows = list(queryset[start : start + per_page + 1])
        return cls(rows[:per_page], number, per_page, has_next=len(rows) > per_page)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.object_list) - 1 if self.object_list else 0

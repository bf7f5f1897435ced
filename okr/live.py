"""The mirror held in memory with the selections a configuration reads, kept current one change at a
time, so that re-evaluating a key result reads a few counters instead of passing over every issue (pure).

A *selection* is the issues one JQL matches, ordered by one date field, each with the number its
metric reads (nothing for a count, the numerator's verdict for a ratio, a field or a duration
otherwise). Counts in a window come from the order by bisection. The values inside a window —
``[start, end]`` of the metric's window at the instant — are kept as a sorted multiset with an exact
sum: slid along when the instant moves, patched when an issue changes. Results are the same numbers
a pass over the issues gives (``okr.metrics``), to the last bit.

Queries whose matches move with time on their own (``created >= -30d``, ``startOfMonth()``) are kept
with an index of the dates they compare. Queries calling ``currentUser()`` are not kept: their
matches depend on the evaluation's user (``EvaluationInput.current_user``), so their metrics are
evaluated by a pass over the issues.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from fractions import Fraction
from typing import Any, TypeVar, overload

from sortedcontainers import SortedList

from jql.candidates import Requirement, folded_names, name_requirements
from jql.dates import day_start
from jql.evaluator import (
    custom_field_id,
    date_threshold,
    datetime_threshold,
    document_date,
    document_datetime,
    instant_of,
)
from jql.query import (
    Clause,
    Empty,
    JqlContext,
    JqlError,
    bound_predicate,
    compile_jql,
    moving_clauses,
    parse_jql,
    query_reads,
    reads_current_user,
)
from jql.syntax import Kind, spec_of
from jql.validate import operands_of
from okr.fields import field_duration, field_finite_number, field_key, field_time, same_value

Document = Mapping[str, Any]
Entry = tuple[float, str, float]  # (moment as a POSIX timestamp, issue id, value)
# What a metric reads from each matching issue:
#   ("count",) | ("ratio", numerator JQL) | ("field", name) | ("duration", from, to, seconds per unit)
Reader = tuple[Any, ...]
SelectionKey = tuple[str, str, Reader]

T = TypeVar("T")
_ANY_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)  # for queries whose matches do not depend on it


@dataclass
class WindowTotals:
    """The values of one selection's entries whose moment lies in ``[start, end]``, in order; their
    exact sum is worked out when first asked for (a median never asks), then kept current."""

    start: float = math.inf
    end: float = -math.inf
    values: SortedList = field(default_factory=SortedList)
    kept_sum: Fraction | None = None

    @property
    def exact_sum(self) -> Fraction:
        if self.kept_sum is None:
            self.kept_sum = exact_sum(self.values)
        return self.kept_sum

    def covers(self, moment: float) -> bool:
        return self.start <= moment <= self.end

    def add(self, value: float) -> None:
        self.values.add(value)
        if self.kept_sum is not None:
            self.kept_sum += Fraction(value)

    def discard(self, value: float) -> None:
        self.values.remove(value)
        if self.kept_sum is not None:
            self.kept_sum -= Fraction(value)

    def refill(self, values: Iterable[float]) -> None:
        """These values instead of the ones kept (ordered at once, not one by one)."""
        self.values = SortedList(values)
        self.kept_sum = None


def exact_sum(values: Iterable[float]) -> Fraction:
    """The exact sum of numbers (floats are binary fractions: summed over their common denominator)."""
    ratios = [value.as_integer_ratio() for value in values]
    if not ratios:
        return Fraction(0)
    common = max(denominator for _, denominator in ratios)
    return Fraction(sum(numerator * (common // denominator) for numerator, denominator in ratios), common)


class Selection:
    """The issues one JQL matches that have the date field and the value, ordered by the date."""

    def __init__(self, entry_of: Callable[[Document], tuple[float, float] | None]) -> None:
        self._entry_of = entry_of
        self._entries: dict[str, Entry] = {}
        self._order: SortedList = SortedList()  # entries as tuples: equal moments still bisect by id
        self._windows: dict[str, WindowTotals] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def fill(self, entries: Iterable[Entry]) -> None:
        """The entries of a selection just made, with nothing kept yet: ordered at once, not one by one."""
        if self._entries or self._windows:
            raise ValueError("fill() is for a new selection; put() changes a kept one")
        self._entries = {entry[1]: entry for entry in entries}
        self._order = SortedList(self._entries.values())

    def put(self, issue_id: str, document: Document | None) -> None:
        """The issue's new state: ``None`` when it no longer matches (or is gone)."""
        read = self._entry_of(document) if document is not None else None
        old = self._entries.get(issue_id)
        if old is not None and read is not None and (old[0], old[2]) == read:
            return  # what this selection reads from the issue did not change
        old = self._entries.pop(issue_id, None)
        if old is not None:
            self._order.remove(old)
            for totals in self._windows.values():
                if totals.covers(old[0]):
                    totals.discard(old[2])
        if read is None:
            return
        entry = (read[0], issue_id, read[1])
        self._entries[issue_id] = entry
        self._order.add(entry)
        for totals in self._windows.values():
            if totals.covers(entry[0]):
                totals.add(entry[2])

    def count(self, start: float, end: float) -> int:
        """Entries with ``start <= moment <= end``."""
        if start > end:
            return 0
        low, high = _span(self._order, start, end, True, True)
        return high - low

    def window(self, name: str, start: float, end: float) -> WindowTotals:
        """The values in ``[start, end]``, kept under ``name`` and slid from where it was last asked."""
        totals = self._windows.setdefault(name, WindowTotals())
        if (totals.start, totals.end) != (start, end):
            self._slide(totals, start, end)
        return totals

    def _slide(self, totals: WindowTotals, start: float, end: float) -> None:
        old_start, old_end = totals.start, totals.end
        if old_start > old_end or start > end or start > old_end or end < old_start:  # nothing shared
            totals.refill(entry[2] for entry in self._between(start, end, True, True))
        else:
            leaving = [*self._between(old_start, start, True, False), *self._between(end, old_end, False, True)]
            joining = [*self._between(start, old_start, True, False), *self._between(old_end, end, False, True)]
            for entry in leaving:
                totals.discard(entry[2])
            for entry in joining:
                totals.add(entry[2])
        totals.start, totals.end = start, end

    def _between(self, low: float, high: float, low_in: bool, high_in: bool) -> Iterator[Entry]:
        if low > high or (low == high and not (low_in and high_in)):  # an empty range: no search
            return iter(())
        start, stop = _span(self._order, low, high, low_in, high_in)
        return self._order.islice(start, stop)


def _span(order: SortedList, low: float, high: float, low_in: bool, high_in: bool) -> tuple[int, int]:
    """Positions of the tuples whose first item (a moment) lies between ``low`` and ``high``."""
    start = order.bisect_left((low if low_in else math.nextafter(low, math.inf),))
    stop = order.bisect_left((math.nextafter(high, math.inf) if high_in else high,))
    return start, max(start, stop)


@dataclass
class KeptQuery:
    """One JQL kept live: its matches (when asked for), its selections, and the instant its matches are
    exact for. ``moving`` are its clauses compared with instants that move with time, as (where the
    clause reads its dates, operands); a fixed query has none and never needs advancing."""

    test: Callable[[Document, JqlContext], bool]
    context: JqlContext
    moving: tuple[tuple[DateSource, tuple[Any, ...]], ...]
    matches: dict[str, Document] | None = None
    selections: list[Selection] = field(default_factory=list)
    instants: list[list[datetime | None]] | None = None  # the moving clauses' operands at ``context``, once known
    requirements: tuple[Requirement, ...] = ()  # what every match holds in its name fields (``jql.candidates``)

    def hits(self, document: Document | None) -> bool:
        return document is not None and self.test(document, self.context)

    def predicate(self) -> Callable[[Document], bool]:
        """``hits`` for a pass over many issues (none of them ``None``)."""
        return bound_predicate(self.test, self.context)

    def place(self, issue_id: str, document: Document | None) -> None:
        """The issue's state as this query sees it: kept where it matches, dropped where not."""
        if self.matches is None and not self.selections:
            return
        matching = document if self.hits(document) else None
        if self.matches is not None:
            if matching is None:
                self.matches.pop(issue_id, None)
            else:
                self.matches[issue_id] = matching
        for selection in self.selections:
            selection.put(issue_id, matching)


class NameIndex:
    """The issues (by id, or by position in a pass) by the names their name fields hold, made field by
    field as queries ask; for one round of making matches or one evaluation run: it is not kept current."""

    def __init__(self, documents: Mapping[Any, Document]) -> None:
        self._documents = documents
        self._ids: dict[tuple[str, Kind], dict[str, set[Any]]] = {}

    def matching(self, query: KeptQuery) -> list[tuple[str, Document]]:
        """The issues the query matches, in the mirror's order; only those that meet its name
        requirements are tested."""
        candidates, hits = self.candidates(query.requirements), query.predicate()
        if candidates is None:
            return [(i, d) for i, d in self._documents.items() if hits(d)]
        return [(i, d) for i, d in self._documents.items() if i in candidates and hits(d)]

    def candidates(self, requirements: tuple[Requirement, ...]) -> set[Any] | None:
        """The issues that meet every requirement; ``None`` when there are none to meet."""
        found: list[set[Any]] = []
        for requirement in requirements:
            ids: set[Any] = set()
            for test in requirement:
                by_name = self._by_name(test.key, test.kind)
                ids.update(*(by_name.get(name, ()) for name in test.names))
            found.append(ids)
        return set.intersection(*sorted(found, key=len)) if found else None

    def _by_name(self, key: str, kind: Kind) -> dict[str, set[Any]]:
        if (key, kind) not in self._ids:
            self._ids[(key, kind)] = _ids_by_name(self._documents, key, kind)
        return self._ids[(key, kind)]


def _ids_by_name(documents: Mapping[Any, Document], key: str, kind: Kind) -> dict[str, set[Any]]:
    """The issues by each name their ``key`` field holds, as a name clause of ``kind`` compares it. A
    single text (the common case) is grouped as it is and folded once per distinct text."""
    by_text: dict[str, list[Any]] = {}
    by_name: dict[str, set[Any]] = {}
    single = kind is not Kind.NAMES
    for issue_id, document in documents.items():
        value = document.get(key)
        if type(value) is str and single:
            group = by_text.get(value)
            if group is None:
                by_text[value] = [issue_id]
            else:
                group.append(issue_id)
            continue
        if type(value) is list and not single:
            names = [item.casefold() for item in value if isinstance(item, str) and item]
        else:
            names = folded_names(kind, value)
        for name in names:
            if name in by_name:
                by_name[name].add(issue_id)
            else:
                by_name[name] = {issue_id}
    for text, ids in by_text.items():
        if text:
            by_name.setdefault(text.casefold(), set()).update(ids)
    return by_name


DateSource = tuple[str, str]  # ("datetime" | "date", document key) or ("custom", custom field id)


class DateIndex:
    """The instants one field holds, read the way JQL compares them, in order: which issues a moving
    threshold passed over between two instants."""

    def __init__(self, source: DateSource, tz: tzinfo) -> None:
        self._source, self._tz = source, tz
        self._moments: dict[str, tuple[float, ...]] = {}
        self._order: SortedList = SortedList()

    def fill(self, documents: Mapping[str, Document]) -> None:
        """Every issue's instants at once (a new index), ordered once rather than one by one."""
        kind, key = self._source
        if kind == "custom":
            for issue_id, document in documents.items():
                moments = self._read(document)
                if moments:
                    self._moments[issue_id] = moments
        else:
            read = _by_text(self._day) if kind == "date" else self._instant  # days repeat, instants seldom
            for issue_id, document in documents.items():
                moment = read(document.get(key))
                if moment is not None:
                    self._moments[issue_id] = (moment,)
        self._order = SortedList((m, issue_id) for issue_id, moments in self._moments.items() for m in moments)

    def put(self, issue_id: str, document: Document | None) -> None:
        for moment in self._moments.pop(issue_id, ()):
            self._order.remove((moment, issue_id))
        moments = self._read(document) if document is not None else ()
        if moments:
            self._moments[issue_id] = moments
            for moment in moments:
                self._order.add((moment, issue_id))

    def reads_differ(self, one: Document, other: Document) -> bool:
        """Whether two states of an issue hold different values in this index's field."""
        kind, key = self._source
        if kind == "custom":
            one, other = one.get("custom"), other.get("custom")  # type: ignore[assignment]
            one = one if isinstance(one, Mapping) else {}
            other = other if isinstance(other, Mapping) else {}
        return not same_value(one.get(key), other.get(key))

    def ids_between(self, low: float, high: float) -> set[str]:
        start, stop = _span(self._order, low, high, True, True)
        return {entry[1] for entry in self._order.islice(start, stop)}

    def _read(self, document: Document) -> tuple[float, ...]:
        kind, key = self._source
        found: Iterable[float | None]
        if kind == "custom":
            custom = document.get("custom")
            value = custom.get(key) if isinstance(custom, Mapping) else None
            items = value if isinstance(value, (list, tuple)) else (value,)
            found = (self._day(i) if len(i) == 10 else self._instant(i) for i in items if isinstance(i, str))
        else:
            value = document.get(key)
            found = iter((self._day(value) if kind == "date" else self._instant(value),))
        return tuple(moment for moment in found if moment is not None)

    def _instant(self, value: Any) -> float | None:
        text = document_datetime(value)
        return datetime.fromisoformat(text).timestamp() if text else None  # its "Z" read as UTC

    def _day(self, value: Any) -> float | None:
        text = document_date(value)
        return day_start(date.fromisoformat(text), self._tz).timestamp() if text else None


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while copies and selections are made in bulk: what they
    make all lives on, and the collector's passes over it would find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _by_text(read: Callable[[Any], T]) -> Callable[[Any], T]:
    """``read``, remembering what it gave for each text (for one pass over the issues)."""
    seen: dict[str, T] = {}

    def remembered(value: Any) -> T:
        if type(value) is not str:
            return read(value)
        if value not in seen:
            seen[value] = read(value)
        return seen[value]

    return remembered


def passed_over(
    kind: str, before: datetime | None, after: datetime | None, old: JqlContext, new: JqlContext
) -> tuple[float, float] | None:
    """The instants a threshold moved over, as compared at the field's granularity; ``None`` when the
    comparison did not change (the threshold stayed within one millisecond, or one day for dates)."""
    if before is None and after is None:
        return None
    if before is None or after is None:
        return (-math.inf, math.inf)
    spans = []
    if kind in ("datetime", "custom") and datetime_threshold(before) != datetime_threshold(after):
        low, high = sorted((before.timestamp(), after.timestamp()))
        spans.append((low - 0.001, high + 0.001))
    if kind in ("date", "custom") and date_threshold(before, old) != date_threshold(after, new):
        days = sorted((before.astimezone(old.tz).date(), after.astimezone(new.tz).date()))
        spans.append((day_start(days[0], old.tz).timestamp(), day_start(days[1], old.tz).timestamp()))
    if not spans:
        return None
    return (min(low for low, _ in spans), max(high for _, high in spans))


class IndexedMirror:
    """Every mirrored issue by id, and the queries and selections evaluation has asked for so far: a
    copy of the mirror held in memory, indexed for evaluation and kept current one change at a time
    (``put``, ``remove``); it does no I/O. The shared mirror is ``sync.mirror.RedisMirror``.

    ``defer_selections``: a selection asked for the first time is not made then: that evaluation reads
    its metric by a pass over the issues (``okr.metrics``, the same numbers), and the selection is made
    by ``keep_deferred`` once the caller has its result (a restarted worker answers its first event
    without first making the selections of every KR it touched)."""

    def __init__(
        self,
        tz: tzinfo,
        custom_fields: Mapping[str, str],
        documents: Iterator[Document] | Sequence[Document] = (),
        defer_selections: bool = False,
    ) -> None:
        self.tz = tz
        self.custom_fields = dict(custom_fields)
        self.defer_selections = defer_selections
        self._deferred: dict[SelectionKey, None] = {}  # asked for, to be made by keep_deferred
        self._by_id: dict[str, Document] = {}
        self._ids_by_key: dict[str, str] = {}
        self._queries: dict[str, KeptQuery | None] = {}
        self._selections: dict[SelectionKey, Selection | None] = {}
        self._date_indexes: dict[DateSource, DateIndex] = {}  # made for the moving clauses asked for
        self._readers: dict[tuple[str, Reader], Callable[[Document], tuple[float, float] | None] | None] = {}
        self._memos: dict[int, tuple[object, Any]] = {}
        with collector_paused():
            for document in documents:
                self.put(document)

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def kept(self) -> int:
        """How many queries, selections and date indexes are kept (grows as evaluation asks)."""
        return len(self._queries) + len(self._selections) + len(self._date_indexes)

    def documents(self) -> LiveDocuments:
        return LiveDocuments(self._by_id)

    def get(self, issue_id: str) -> Document | None:
        return self._by_id.get(issue_id)

    def holds(self, documents: object) -> bool:
        """``documents`` is this mirror's own view of its issues (``documents()``)."""
        return isinstance(documents, LiveDocuments) and documents._by_id is self._by_id

    def by_key(self, key: str) -> Document | None:
        issue_id = self._ids_by_key.get(key.upper())
        return self._by_id.get(issue_id) if issue_id is not None else None

    def put(self, document: Document) -> None:
        """An issue's current state (new or changed)."""
        issue_id = str(document["id"])
        before = self._by_id.get(issue_id)
        if before is not None:
            self._ids_by_key.pop(str(before.get("key", "")).upper(), None)
        self._by_id[issue_id] = document
        self._ids_by_key[str(document.get("key", "")).upper()] = issue_id
        for index in self._date_indexes.values():
            if before is None or index.reads_differ(before, document):
                index.put(issue_id, document)
        for query in self._queries.values():
            if query is not None:
                query.place(issue_id, document)

    def remove(self, issue_id: str) -> None:
        before = self._by_id.pop(issue_id, None)
        if before is None:
            return
        self._ids_by_key.pop(str(before.get("key", "")).upper(), None)
        for index in self._date_indexes.values():
            index.put(issue_id, None)
        for query in self._queries.values():
            if query is not None:
                query.place(issue_id, None)

    def memo(self, owner: object, make: Callable[[], T]) -> T:
        """Derived data kept with this mirror for ``owner`` (an immutable definition, such as a problem
        program), made by ``make`` the first time. Past 64 owners (configurations change) all go."""
        found = self._memos.get(id(owner))
        if found is None or found[0] is not owner:
            if len(self._memos) >= 64:
                self._memos.clear()
            found = self._memos[id(owner)] = (owner, make())
        return found[1]

    def matching(self, jql: str, at: datetime) -> list[Document] | None:
        """Every issue the JQL matches at ``at``; ``None`` when the query cannot be kept."""
        query = self._query(jql, at)
        if query is None:
            return None
        if query.matches is None:
            query.matches = dict(NameIndex(self._by_id).matching(query))
        return list(query.matches.values())

    def selection(self, jql: str, date_field: str, reader: Reader, at: datetime) -> Selection | None:
        """The selection of one metric shape, its matches exact at ``at``; ``None`` when its queries
        cannot be kept, or while it waits to be made (``defer_selections``)."""
        key = (jql, date_field, reader)
        if key not in self._selections:
            self.keep_selections([key], at)
            if key in self._deferred:
                return None
        self._query(jql, at)
        return self._selections[key]

    @property
    def deferred(self) -> int:
        """How many selections wait for ``keep_deferred``."""
        return len(self._deferred)

    def keep_deferred(self, at: datetime) -> None:
        """Make the selections asked for while ``defer_selections`` held them back, exact at ``at``."""
        wanted, self._deferred = list(self._deferred), {}
        self._make_selections(wanted, at)

    def keep_selections(self, wanted: Iterable[SelectionKey], at: datetime) -> None:
        """Make the selections among ``wanted`` not kept yet, together: one pass over the issues per
        query, each issue tested once per query and read once per (date field, reader), however many
        of the selections share them. With ``defer_selections`` they are noted for ``keep_deferred``."""
        if not self.defer_selections:
            self._make_selections(wanted, at)
            return
        for key in wanted:
            if key not in self._selections:
                self._deferred[key] = None

    def _make_selections(self, wanted: Iterable[SelectionKey], at: datetime) -> None:
        by_query: dict[str, list[SelectionKey]] = {}
        for key in dict.fromkeys(wanted):
            if key not in self._selections:
                by_query.setdefault(key[0], []).append(key)
        reads: dict[tuple[str, Reader], dict[str, tuple[float, float] | None]] = {}
        names = NameIndex(self._by_id)
        with collector_paused():
            for jql, keys in by_query.items():
                query = self._query(jql, at)
                matching = names.matching(query) if query is not None else []
                for key in keys:
                    self._selections[key] = self._made(query, key, matching, reads)

    def _made(
        self,
        query: KeptQuery | None,
        key: SelectionKey,
        matching: list[tuple[str, Document]],
        reads: dict[tuple[str, Reader], dict[str, tuple[float, float] | None]],
    ) -> Selection | None:
        """One new selection of the issues its query matches, from reads shared with its siblings."""
        entry_of = self._entry_reader(key[1], key[2])
        if query is None or entry_of is None:
            return None
        known = reads.setdefault((key[1], key[2]), {})
        entries = []
        for issue_id, document in matching:
            read = known[issue_id] if issue_id in known else known.setdefault(issue_id, entry_of(document))
            if read is not None:
                entries.append((read[0], issue_id, read[1]))
        selection = Selection(entry_of)
        selection.fill(entries)
        query.selections.append(selection)
        return selection

    def _query(self, jql: str, at: datetime = _ANY_INSTANT) -> KeptQuery | None:
        """The kept query, its matches made exact at ``at``: a moving query's matches change only for
        issues whose dates lie between a threshold's old and new instants, and only those are tested."""
        if jql not in self._queries:
            self._queries[jql] = self._keep(jql, at)
        query = self._queries[jql]
        if query is not None and query.moving and query.context.at != at:
            self._advance_query(query, at)
        return query

    def _keep(self, jql: str, at: datetime) -> KeptQuery | None:
        try:
            parsed = parse_jql(jql)
            test = compile_jql(jql)
        except JqlError:  # malformed or outside the local subset: evaluated elsewhere
            return None
        if reads_current_user(parsed):  # matches depend on the evaluation's user: evaluated by a pass
            return None
        moving = []
        for clause in moving_clauses(parsed):
            source = self._date_source(clause)
            if source is None:
                return None
            moving.append((source, operands_of(clause)))
        for source, _ in moving:
            self._date_index(source)  # made now, not on the first move of the instant
        return KeptQuery(test, self._context(at), tuple(moving), requirements=name_requirements(parsed))

    def _date_source(self, clause: Clause) -> DateSource | None:
        spec = spec_of(clause.field)
        if spec is None:
            try:
                return ("custom", custom_field_id(clause.field, self._context(_ANY_INSTANT)))
            except JqlError:
                return None
        if spec.kind in (Kind.DATE, Kind.DATETIME):
            return ("date" if spec.kind is Kind.DATE else "datetime", spec.document_key)
        return None  # a date function compared with a field that holds no dates: not kept

    def _advance_query(self, query: KeptQuery, at: datetime) -> None:
        old, new = query.context, self._context(at)
        was = query.instants or [_instants(operands, old) for _, operands in query.moving]
        now = [_instants(operands, new) for _, operands in query.moving]
        candidates: set[str] = set()
        for (source, _), instants_before, instants_after in zip(query.moving, was, now, strict=False):
            for before, after in zip(instants_before, instants_after, strict=False):
                span = passed_over(source[0], before, after, old, new)
                if span is not None:
                    candidates |= self._date_index(source).ids_between(*span)
        query.context, query.instants = new, now
        for issue_id in candidates:
            query.place(issue_id, self._by_id.get(issue_id))

    def _date_index(self, source: DateSource) -> DateIndex:
        if source not in self._date_indexes:
            index = self._date_indexes[source] = DateIndex(source, self.tz)
            index.fill(self._by_id)
        return self._date_indexes[source]

    def _context(self, at: datetime) -> JqlContext:
        return JqlContext(at=at, tz=self.tz, custom_fields=self.custom_fields)

    def _entry_reader(self, date_field: str, reader: Reader) -> Callable[[Document], tuple[float, float] | None] | None:
        """One reader per (date field, reader), shared by the selections that read alike: it reads a
        document once however many selections it is put into. ``None`` when a ratio's numerator is
        not kept, or moves with time (its verdicts would go stale inside the selection)."""
        key = (date_field, reader)
        if key not in self._readers:
            numerator = self._query(reader[1]) if reader[0] == "ratio" else None
            if reader[0] == "ratio" and (numerator is None or numerator.moving):
                self._readers[key] = None
            else:
                fields, tz = self.custom_fields, self.tz
                hits = numerator.hits if numerator is not None else None
                self._readers[key] = _read_once(lambda d: metric_entry(d, date_field, reader, fields, tz, hits))
        return self._readers[key]


def metric_entry(
    document: Document,
    date_field: str,
    reader: Reader,
    fields: Mapping[str, str],
    tz: tzinfo,
    numerator: Callable[[Document], bool] | None,
) -> tuple[float, float] | None:
    """What a metric reads from a matching issue: its date field as a POSIX timestamp and the number
    it contributes; ``None`` when the issue has no such date or no such number (it then counts for
    nothing). ``numerator`` decides a ratio's issues."""
    moment = field_time(document, date_field, fields, tz)
    if moment is None:
        return None
    if reader[0] == "duration" and reader[2] == date_field:  # ends at its date field: read that once
        start = field_time(document, reader[1], fields, tz)
        value = None if start is None else (moment - start).total_seconds() / reader[3]
    else:
        value = _value(document, reader, fields, tz, numerator)
    return None if value is None else (moment.timestamp(), value)


def entry_reads(date_field: str, reader: Reader, custom_fields: Mapping[str, str]) -> frozenset[str] | None:
    """The fields (as ``okr.fields.changed_fields`` names them) ``metric_entry`` reads; ``None`` when
    not known (a ratio's numerator that names an unknown custom field)."""
    kind = reader[0]
    names = {date_field, *([reader[1]] if kind == "field" else []), *(reader[1:3] if kind == "duration" else [])}
    keys = frozenset(field_key(name, custom_fields) for name in names)
    if kind != "ratio":
        return keys
    numerator = query_reads(reader[1], custom_fields)
    return None if numerator is None else keys | numerator


def _value(
    document: Document,
    reader: Reader,
    fields: Mapping[str, str],
    tz: tzinfo,
    numerator: Callable[[Document], bool] | None,
) -> float | None:
    kind = reader[0]
    if kind == "count":
        return 0.0
    if kind == "ratio":
        assert numerator is not None
        return 1.0 if numerator(document) else 0.0
    if kind == "field":
        return field_finite_number(document, reader[1], fields)
    if kind == "duration":
        return field_duration(document, reader[1], reader[2], reader[3], fields, tz)
    raise ValueError(f"unknown selection reader {reader!r}")


def _read_once(
    read: Callable[[Document], tuple[float, float] | None],
) -> Callable[[Document], tuple[float, float] | None]:
    """``read``, remembering its last document (documents are replaced, never changed in place)."""
    last: list[Any] = [None, None]

    def read_once(document: Document) -> tuple[float, float] | None:
        if last[0] is not document:
            last[0], last[1] = document, read(document)
        return last[1]

    return read_once


def _instants(operands: tuple[Any, ...], context: JqlContext) -> list[datetime | None]:
    return [instant_of(operand, context) for operand in operands if not isinstance(operand, Empty)]


class LiveDocuments(Sequence[Document]):
    """The live mirror's issues as a sequence, listed only if someone indexes into it."""

    def __init__(self, by_id: Mapping[str, Document]) -> None:
        self._by_id = by_id
        self._listed: list[Document] | None = None

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Document]:
        return iter(self._by_id.values())

    @overload
    def __getitem__(self, index: int) -> Document: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Document]: ...

    def __getitem__(self, index: int | slice) -> Document | Sequence[Document]:
        if self._listed is None:
            self._listed = list(self._by_id.values())
        return self._listed[index]

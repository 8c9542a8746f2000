"""XSHG trading calendar (exchange-calendars); refuses dates outside the range it covers."""
from __future__ import annotations

import bisect
import datetime as dt
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

FIRST = dt.date(2005, 1, 4)


class CalendarRangeError(ValueError):
    """A date outside the range the bundled XSHG calendar covers."""


@lru_cache(maxsize=1)
def _calendar():
    return xcals.get_calendar("XSHG", start=FIRST.isoformat())


@lru_cache(maxsize=1)
def _sessions() -> tuple[dt.date, ...]:
    return tuple(d.date() for d in _calendar().sessions)


def covered_range() -> tuple[dt.date, dt.date]:
    """First and last date the calendar knows about."""
    s = _sessions()
    return s[0], _calendar().last_session.date()


def _check(d: dt.date) -> None:
    first, last = covered_range()
    if not (first <= d <= last):
        raise CalendarRangeError(
            f"date {d.isoformat()} is outside the XSHG calendar range {first.isoformat()}..{last.isoformat()} "
            "(exchange-calendars 4.13.2); add the exchanges' published holidays for later years before using it"
        )


def to_date(value) -> dt.date:
    """Accept date, datetime, 'YYYYMMDD', 'YYYY-MM-DD' or int YYYYMMDD."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    s = str(value).strip().replace("-", "")
    return dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def is_session(d) -> bool:
    """True when the date is an XSHG trading day."""
    d = to_date(d)
    _check(d)
    return _calendar().is_session(pd.Timestamp(d))


def sessions(start, end) -> list[dt.date]:
    """Trading days in [start, end], both inclusive."""
    start, end = to_date(start), to_date(end)
    _check(start)
    _check(end)
    return [d.date() for d in _calendar().sessions_in_range(pd.Timestamp(start), pd.Timestamp(end))]


def latest_session(on_or_before=None) -> dt.date:
    """The last trading day on or before the date (default: today, clipped to the covered range)."""
    d = to_date(on_or_before) if on_or_before is not None else dt.date.today()
    last = covered_range()[1]
    if on_or_before is None:
        d = min(d, last)
    _check(d)
    ts = _calendar().date_to_session(pd.Timestamp(d), direction="previous")
    return ts.date()


def previous_sessions(d, count: int) -> list[dt.date]:
    """The `count` trading days strictly before d, oldest first."""
    d = to_date(d)
    _check(d)
    s = _sessions()
    i = bisect.bisect_left(s, d)
    if i - count < 0:
        raise CalendarRangeError(
            f"{count} sessions before {d.isoformat()} reach before the calendar start {s[0].isoformat()}"
        )
    return list(s[i - count:i])


def next_session(d) -> dt.date:
    """The first trading day strictly after d."""
    d = to_date(d)
    _check(d)
    s = _sessions()
    i = bisect.bisect_right(s, d)
    if i >= len(s):
        first, last = covered_range()
        raise CalendarRangeError(
            f"no trading day after {d.isoformat()} within the XSHG calendar range {first.isoformat()}..{last.isoformat()}"
        )
    return s[i]


def holidays(start, end) -> list[dt.date]:
    """Weekdays in [start, end] that are not trading days."""
    start, end = to_date(start), to_date(end)
    _check(start)
    _check(end)
    sess = set(sessions(start, end))
    out, d = [], start
    while d <= end:
        if d.weekday() < 5 and d not in sess:
            out.append(d)
        d += dt.timedelta(days=1)
    return out

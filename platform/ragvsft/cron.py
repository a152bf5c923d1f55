"""Cron expressions (``retrain.schedule``): read with cron's numbering, and refused up front when they are not
valid or can never fire (``0 3 30 2 *``, the 30th of February), instead of when ``ragvsft schedule`` starts or,
for one that never fires, never."""

from __future__ import annotations

from datetime import datetime
from typing import Any

CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron counts from Sunday = 0 (7 is Sunday too)


def cron_trigger(expr: str) -> Any:
    """An APScheduler ``CronTrigger`` for a standard 5-field cron expression; ``ValueError`` says what is wrong.

    APScheduler 3 counts weekdays from Monday = 0 and orders ranges and steps that way, cron from Sunday = 0:
    ``from_crontab("0 3 * * 1")`` fires on Tuesdays, and cron's ``0-4`` (Sunday to Thursday) or ``*/2`` (Sunday,
    Tuesday, ...) mean other days or nothing there. So the weekday field is worked out in cron's terms and given
    as a list of day names. And where both the day of the month and the weekday are restricted (neither starts
    with ``*``), cron runs on days that match *either* (``0 3 13 * 5``: the 13th, and every Friday), APScheduler
    only on days that match both: such an expression becomes two triggers, either of which fires.

    Example:
        >>> str(cron_trigger("0 3 * * 1-5").fields[4]), str(cron_trigger("0 3 * * 0-6/2").fields[4])
        ('mon,tue,wed,thu,fri', 'sun,tue,thu,sat')
    """
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    days = _weekday_names(weekday)
    if day.startswith("*") or weekday.startswith("*"):
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=days)
    return OrTrigger([CronTrigger(minute=minute, hour=hour, day=day, month=month),
                      CronTrigger(minute=minute, hour=hour, month=month, day_of_week=days)])


def _weekday_names(field: str) -> str:
    """Cron's weekday field (numbers 0-7 or names, lists, ranges, steps) as APScheduler day names."""
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            first, last = (_weekday(end) for end in span.split("-", 1))
        else:
            first = _weekday(span)
            last = 6 if step else first  # "1/2": from Monday on, every other day
        if step and (not step.isdigit() or int(step) == 0):
            raise ValueError(f"weekday step {step!r} must be a positive number")
        if first > last:
            raise ValueError(f"weekday range {span!r} runs backwards (cron counts Sunday = 0 to Saturday = 6, or 7)")
        days.update(d % 7 for d in range(first, last + 1, int(step or 1)))
    return ",".join(CRON_DAYS[d] for d in sorted(days))


def _weekday(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token.lower() in CRON_DAYS:
        return CRON_DAYS.index(token.lower())
    raise ValueError(f"weekday {token!r} is not 0-7 or a day name (sun, mon, ...)")


def cron_problem(expr: str) -> str | None:
    """Why ``expr`` cannot schedule anything, or None.

    Example:
        >>> cron_problem("0 3 * * *") is None, cron_problem("0 3 30 2 *")
        (True, "'0 3 30 2 *' never fires (no date matches it)")
    """
    try:
        trigger = cron_trigger(expr)
    except ValueError as exc:
        return f"{expr!r} is not a cron expression: {exc}"
    if trigger.get_next_fire_time(None, datetime.now().astimezone()) is None:
        return f"{expr!r} never fires (no date matches it)"
    return None

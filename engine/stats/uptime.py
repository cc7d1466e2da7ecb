"""Downtime from the engine's runs: each run records when it started and when it was last
seen alive (the stats flush, every few seconds); the venue was down from one run's last
sign of life to the next run's start, whether it crashed or was stopped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Run:
    started_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class Availability:
    observed: timedelta  # the part of the window the venue existed in
    downtime: timedelta
    outages: int  # gaps that overlap the window

    @property
    def uptime_fraction(self) -> tuple[int, int] | None:
        """(up, observed) in microseconds, or None before anything was observed."""
        whole = self.observed // timedelta(microseconds=1)
        if whole <= 0:
            return None
        return whole - self.downtime // timedelta(microseconds=1), whole


def availability(runs: list[Run], start: datetime, end: datetime) -> Availability:
    """Within [start, end): the gaps between consecutive runs. `runs` includes the current
    one, its `last_seen_at` being now; before the first run the venue did not exist."""
    ordered = sorted(runs, key=lambda run: run.started_at)
    if not ordered:
        return Availability(timedelta(0), timedelta(0), 0)
    observed_from = max(start, ordered[0].started_at)
    observed = max(end - observed_from, timedelta(0))
    downtime = timedelta(0)
    outages = 0
    for previous, following in pairwise(ordered):
        overlap = _overlap(previous.last_seen_at, following.started_at, start, end)
        if overlap > timedelta(0):
            downtime += overlap
            outages += 1
    return Availability(observed, min(downtime, observed), outages)


def _overlap(gap_start: datetime, gap_end: datetime, start: datetime, end: datetime) -> timedelta:
    return max(min(gap_end, end) - max(gap_start, start), timedelta(0))

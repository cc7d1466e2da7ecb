"""Public venue statistics (seed 004, stats dashboard): execution quality against the lit
reference market, matched volume, order flow and fill times, fees, settlement and uptime,
per market and UTC day, saved so they survive restarts."""

from engine.stats.execution import (
    VENUE_WIDE,
    DayTotals,
    ExecutionRecord,
    ExecutionStats,
    Totals,
    recent_executions,
)
from engine.stats.follower import SavedStatsFollower
from engine.stats.recorder import StatsRecorder
from engine.stats.uptime import Availability, Run, availability

__all__ = [
    "VENUE_WIDE",
    "Availability",
    "DayTotals",
    "ExecutionRecord",
    "ExecutionStats",
    "Run",
    "SavedStatsFollower",
    "StatsRecorder",
    "Totals",
    "availability",
    "recent_executions",
]

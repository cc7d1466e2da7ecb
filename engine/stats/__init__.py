"""Public venue statistics (seed 004, stats dashboard): execution quality against the lit
reference market, matched volume and trade counts, and fees, per market and UTC day."""

from engine.stats.execution import DayTotals, ExecutionRecord, ExecutionStats, Totals
from engine.stats.recorder import StatsRecorder

__all__ = ["DayTotals", "ExecutionRecord", "ExecutionStats", "StatsRecorder", "Totals"]

/* Display helpers for live games: clocks, labels, probabilities and odds (exact, no floats). */
import type { LiveEvent, Sport } from '../../graphql/operations';
import { EMPTY } from '../markets/format';
import { divide, fromInt, mul, parseDec, rescale, toPlain } from '../trading/decimal';

export const SPORT_TABS: ReadonlyArray<{ id: Sport | null; label: string }> = [
  { id: null, label: 'All' },
  { id: 'SOCCER', label: 'Soccer' },
  { id: 'BASKETBALL', label: 'Basketball' },
  { id: 'TENNIS', label: 'Tennis' },
];

const SPORT_ORDER: Record<string, number> = { SOCCER: 0, BASKETBALL: 1, TENNIS: 2 };

export function sportLabel(sport: string): string {
  return SPORT_TABS.find((tab) => tab.id === sport)?.label ?? humanize(sport);
}

/** Sport (in tab order), then kick-off, then id: a stable grid across refreshes. */
export function compareGames(a: LiveEvent, b: LiveEvent): number {
  return (
    (SPORT_ORDER[a.sport] ?? 9) - (SPORT_ORDER[b.sport] ?? 9) ||
    a.startTime.localeCompare(b.startTime) ||
    a.id.localeCompare(b.id)
  );
}

function humanize(code: string): string {
  const words = code.toLowerCase().replace(/_/g, ' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
}

/** 4778 -> "79:38"; minutes are not wrapped into hours (game clocks). */
export function formatClock(seconds: number | null): string | null {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return null;
  const whole = Math.floor(seconds);
  const minutes = Math.floor(whole / 60);
  return `${String(minutes).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** "2nd half", "Q3", "OT1", "Set 2"; "Not started" before period 1. */
export function periodLabel(sport: string, period: number): string {
  if (period <= 0) return 'Not started';
  switch (sport) {
    case 'SOCCER':
      return period <= 2 ? `${ordinal(period)} half` : `Extra period ${period - 2}`;
    case 'BASKETBALL':
      return period <= 4 ? `Q${period}` : `OT${period - 4}`;
    case 'TENNIS':
      return `Set ${period}`;
    default:
      return `Period ${period}`;
  }
}

export type StatusTone = 'ok' | 'warn' | 'off';

export function gameStatus(status: string): { label: string; tone: StatusTone } {
  switch (status) {
    case 'LIVE':
      return { label: 'Live', tone: 'ok' };
    case 'BREAK':
      return { label: 'Break', tone: 'warn' };
    case 'SCHEDULED':
      return { label: 'Starting soon', tone: 'off' };
    case 'FINISHED':
      return { label: 'Finished', tone: 'off' };
    default:
      return { label: humanize(status), tone: 'off' };
  }
}

/** MATCH_WINNER -> "Match winner", TOTAL_GOALS_2.5 -> "Total goals 2.5", GAME_WINNER -> "Current game". */
export function marketLabel(market: string): string {
  const total = /^TOTAL_([A-Z]+)_(\d+(?:\.\d+)?)$/.exec(market);
  if (total) return `Total ${total[1]?.toLowerCase()} ${total[2]}`;
  if (market === 'GAME_WINNER') return 'Current game';
  return humanize(market);
}

function lineOf(market: string): string | null {
  return /_(\d+(?:\.\d+)?)$/.exec(market)?.[1] ?? null;
}

export function outcomeLabel(outcome: string, market: string, event: LiveEvent): string {
  switch (outcome) {
    case 'HOME':
      return event.home;
    case 'AWAY':
      return event.away;
    case 'DRAW':
      return 'Draw';
    case 'NONE':
      return market === 'NEXT_GOAL' ? 'No more goals' : 'None';
    case 'OVER':
    case 'UNDER': {
      const line = lineOf(market);
      return `${humanize(outcome)}${line ? ` ${line}` : ''}`;
    }
    default:
      return humanize(outcome);
  }
}

export function unavailableLabel(reason: string | null): string {
  switch (reason) {
    case 'QUORUM_NOT_MET':
      return 'Not enough providers';
    case 'SUSPENDED':
      return 'Suspended';
    case null:
      return 'Unavailable';
    default:
      return humanize(reason);
  }
}

/** "0.163295" -> "16.3%". */
export function formatProbability(probability: string): string {
  const value = parseDec(probability);
  if (!value) return EMPTY;
  return `${toPlain(rescale(mul(value, fromInt(100)), 1, 'half-up'))}%`;
}

/** Decimal odds 1 / p to 2 decimals: "0.163295" -> "6.12"; "—" at p = 0. */
export function formatDecimalOdds(probability: string): string {
  const value = parseDec(probability);
  if (!value || value.n <= 0n) return EMPTY;
  const odds = divide(fromInt(1), value, 2, 'half-up');
  return odds ? toPlain(odds) : EMPTY;
}

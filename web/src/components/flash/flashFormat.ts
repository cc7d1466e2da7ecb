/* Display helpers for flash markets: outcome names, countdowns, statuses and results. */
import type { FlashBetStatus, FlashMarket } from '../../graphql/flashOperations';

export function flashOutcomeLabel(outcome: string): string {
  switch (outcome) {
    case 'YES':
      return 'Yes';
    case 'NO':
      return 'No';
    case 'HOME':
      return 'Home';
    case 'AWAY':
      return 'Away';
    case 'TIE':
      return 'Tie';
    case 'DRAW':
      return 'Draw';
    default: {
      const words = outcome.toLowerCase().replace(/_/g, ' ');
      return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
    }
  }
}

/** 83_400 ms -> "1:23"; 4_200 ms -> "0:04" (rounded up: 0:00 only at the deadline). */
export function formatCountdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Where a market stands, in words, given the time now. */
export function marketPhase(market: FlashMarket, now: number): { label: string; tone: 'ok' | 'warn' | 'off' } {
  switch (market.status) {
    case 'COLLAPSED':
      return {
        label: `Settled: ${flashOutcomeLabel(market.collapse?.winningOutcome ?? '')}`,
        tone: 'off',
      };
    case 'VOIDED':
      return { label: 'Void: stakes refunded', tone: 'off' };
    case 'HALTED':
      return { label: 'Halted: prices moved fast', tone: 'warn' };
    case 'CLOSED':
      return { label: 'Bets closed, settling', tone: 'warn' };
    case 'OPEN':
      return Date.parse(market.deadline) <= now
        ? { label: 'Bets closed, settling', tone: 'warn' }
        : { label: 'Open', tone: 'ok' };
  }
}

export function takesBets(market: FlashMarket, now: number): boolean {
  return market.status === 'OPEN' && Date.parse(market.deadline) > now;
}

export function betStatusLabel(status: FlashBetStatus): string {
  switch (status) {
    case 'OPEN':
      return 'Open';
    case 'WON':
      return 'Won';
    case 'LOST':
      return 'Lost';
    case 'REFUNDED':
      return 'Void (refunded)';
  }
}

/** Plain-language explanations of flash refusals, keyed by the API's error codes. */
const FRIENDLY: Record<string, string> = {
  UNKNOWN_FLASH_MARKET: 'This market no longer exists. Pick another one from the ticker.',
  MARKET_CLOSED: 'This market takes no more bets: its deadline has passed.',
  PRICE_CLAMP: 'This bet would move the price too fast (more than 2% per 400 ms). Bet less, or wait a moment.',
  TRADING_HALTED: 'Betting on this market is paused for a moment because prices moved fast.',
  LIMIT_REACHED: 'A limit is reached for this bet. Try a smaller stake or another outcome.',
  SELF_EXCLUDED: 'You have excluded yourself from betting.',
  COOLING_OFF: 'You are on a cool-off break: betting is paused until it ends.',
  STAKE_TOO_LARGE: 'The stake is too large for this bet.',
  TOO_FAST: 'Bets are coming too fast. Wait a moment before the next one.',
  REALITY_CHECK_DUE: 'Time for a reality check: review your session before betting again.',
  INSUFFICIENT_FUNDS: 'Not enough available balance for this stake.',
  PRICE_MOVED: 'The price moved since your quote. Get a new quote and confirm again.',
  INVALID_BET: 'Enter a stake above the fee, with at most 6 decimals.',
  VENUE_PAUSED: 'The venue is paused: no new bets for now.',
  RATE_LIMITED: 'Too many requests. Wait a moment and try again.',
  ENGINE_UNAVAILABLE: 'The engine is restarting. Try again in a moment.',
};

export function friendlyFlashError(error: { code: string; message: string }): string {
  return FRIENDLY[error.code] ?? error.message;
}

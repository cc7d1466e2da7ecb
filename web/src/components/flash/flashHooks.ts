import { useCallback, useEffect, useState } from 'react';
import { useSession } from '../../auth/AuthProvider';
import { privatePollingClient } from '../../graphql/client';
import {
  FlashTickerSubscription,
  MyFlashBetsQuery,
  MyFlashBetsSubscription,
  type FlashBet,
  type FlashMarket,
  type FlashMarketUpdate,
} from '../../graphql/flashOperations';
import { SAFETY_NET_MS, usePolledQuery } from '../markets/hooks';
import { useSubscriptionEvents, useTradingActivity } from '../trading/hooks';
import type { CombinedError } from 'urql';

/** A collapsed or voided market stays on the ticker this long, showing its result. */
const SETTLED_VISIBLE_MS = 20_000;
const BETS_REFRESH_MS = SAFETY_NET_MS;
const NO_VARIABLES = {};

export interface TickerEntry {
  market: FlashMarket;
  /** The last change's kind, for a brief highlight. */
  kind: FlashMarketUpdate['kind'];
  /** Local time the entry last changed (ms). */
  changedAt: number;
  /** Payout (collapse) or refund (void), USDT. */
  total: string | null;
}

/**
 * The live flash markets from the `flashTicker` subscription: a snapshot of every
 * active market, then each change (at most every 400 ms a market). While
 * `live` is false the subscription is closed and the last prices stay frozen.
 */
export function useFlashTicker(live: boolean): {
  entries: TickerEntry[];
  error: CombinedError | null;
  connected: boolean;
} {
  const [markets, setMarkets] = useState<Map<string, TickerEntry>>(() => new Map());
  const [connected, setConnected] = useState(false);

  const onData = useCallback((data: { flashTicker: FlashMarketUpdate }) => {
    const update = data.flashTicker;
    setConnected(true);
    setMarkets((previous) => {
      const next = new Map(previous);
      next.set(update.market.id, {
        market: update.market,
        kind: update.kind,
        changedAt: Date.now(),
        total: update.totalPayout,
      });
      return next;
    });
  }, []);

  const error = useSubscriptionEvents(FlashTickerSubscription, NO_VARIABLES, 'flash-ticker', onData, live);

  // Settled markets leave the ticker after a while.
  useEffect(() => {
    const timer = setInterval(() => {
      setMarkets((previous) => {
        const cutoff = Date.now() - SETTLED_VISIBLE_MS;
        let changed = false;
        const next = new Map(previous);
        for (const [id, entry] of previous) {
          const settled = entry.market.status === 'COLLAPSED' || entry.market.status === 'VOIDED';
          const past = Date.parse(entry.market.settlesBy) < Date.now() - SETTLED_VISIBLE_MS;
          if ((settled && entry.changedAt < cutoff) || past) {
            next.delete(id);
            changed = true;
          }
        }
        return changed ? next : previous;
      });
    }, 1_000);
    return () => clearInterval(timer);
  }, []);

  const entries = [...markets.values()].sort(
    (a, b) => a.market.deadline.localeCompare(b.market.deadline) || a.market.id.localeCompare(b.market.id),
  );
  return { entries, error, connected: connected && live };
}

/** Milliseconds now, re-rendered every `intervalMs` (countdowns). */
export function useNow(intervalMs = 250): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/* "Something changed in my flash bets": the bet card tells the list to refresh at once. */
const betListeners = new Set<() => void>();

export function notifyFlashBet(): void {
  betListeners.forEach((listener) => listener());
}

/** `myFlashBets`: on the `myFlashBets` subscription, after each bet here, and every 30 s. */
export function useMyFlashBets(): { bets: FlashBet[] | undefined; error: CombinedError | null } {
  const accountId = useSession()?.accountId ?? null;
  const { data, error, refresh } = usePolledQuery(
    MyFlashBetsQuery,
    () => ({}),
    BETS_REFRESH_MS,
    `my-flash-bets:${accountId ?? ''}`,
    { client: privatePollingClient, enabled: accountId !== null },
  );
  useSubscriptionEvents(
    MyFlashBetsSubscription,
    NO_VARIABLES,
    `flash-bets:${accountId ?? ''}`,
    refresh,
    accountId !== null,
  );
  useEffect(() => {
    betListeners.add(refresh);
    return () => {
      betListeners.delete(refresh);
    };
  }, [refresh]);
  useTradingActivity(refresh);
  return { bets: data?.myFlashBets, error };
}

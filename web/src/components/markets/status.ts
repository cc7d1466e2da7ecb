import type { OracleTier, PriceSource } from '../../graphql/operations';

/** What "Ref" means wherever a reference-market price is shown. */
export const REFERENCE_HINT = 'lit reference market, not our dark book';

export type OracleHealth = 'Healthy' | 'Fallback' | 'Unavailable';
export type Tone = 'ok' | 'warn' | 'bad' | 'off';

export interface StatusView<Label extends string = string> {
  label: Label;
  tone: Tone;
  detail: string;
}

/** Primary tier (3+ agreeing venues) is healthy; 1–2 venues is fallback; none is unavailable. */
export function oracleHealth(tier: OracleTier, healthy: boolean): StatusView<OracleHealth> {
  if (tier === 'UNAVAILABLE') {
    return { label: 'Unavailable', tone: 'bad', detail: 'No venue agrees: no index price.' };
  }
  if (tier === 'PRIMARY' && healthy) {
    return { label: 'Healthy', tone: 'ok', detail: 'Three or more venues agree on the index.' };
  }
  const detail = healthy
    ? 'Only two venues agree on the index.'
    : 'Fewer than two venues agree: no new risk may be taken.';
  return { label: 'Fallback', tone: healthy ? 'warn' : 'bad', detail };
}

export function sourceStatus(source: PriceSource): StatusView {
  switch (source.excludedReason) {
    case 'STALE':
      return { label: 'Excluded: stale', tone: 'warn', detail: 'No recent update from the venue.' };
    case 'DEVIATION':
      return {
        label: 'Excluded: deviation',
        tone: 'warn',
        detail: 'Too far from the median of the other venues.',
      };
    case 'NO_DATA':
      return { label: 'No data', tone: 'off', detail: 'This venue has not quoted this market.' };
    case null:
      if (source.healthy) return { label: 'OK', tone: 'ok', detail: 'Included in the index.' };
  }
  return { label: 'Excluded', tone: 'warn', detail: 'Not included in the index.' };
}

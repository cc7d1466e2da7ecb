import type { OracleTier } from '../../graphql/operations';
import { oracleHealth } from './status';

/** Healthy / Fallback / Unavailable, from the oracle tier and health flag. */
export function HealthBadge({
  tier,
  healthy,
  testId,
}: {
  tier: OracleTier;
  healthy: boolean;
  testId?: string;
}) {
  const health = oracleHealth(tier, healthy);
  return (
    <span className={`status status-${health.tone}`} title={health.detail} data-testid={testId}>
      <span className="status-dot" aria-hidden="true" />
      {health.label}
    </span>
  );
}

import { PageHeading } from '../components/PageHeading';
import { StatsDashboard } from '../components/stats/StatsDashboard';
import { SettlementSection } from '../components/settlement/SettlementSection';

const DESCRIPTION =
  'Public venue statistics: what trading in the dark saved against the lit market, matched volume, order flow and time to fill, fees, settlement and uptime.';

export function StatsPage() {
  return (
    <>
      <PageHeading title="Stats" description={DESCRIPTION} />
      <StatsDashboard />
      <SettlementSection />
    </>
  );
}

import { PageHeading } from '../components/PageHeading';

export function StatsPage() {
  return <PageHeading title="Stats" description="Coming soon: venue statistics." />;
}

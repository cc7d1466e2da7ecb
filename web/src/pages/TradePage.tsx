import { DemoAccountCard } from '../components/DemoAccountCard';
import { PageHeading } from '../components/PageHeading';

export function TradePage() {
  return (
    <>
      <PageHeading
        title="Trade"
        description="Coming soon: dark-pool perpetual futures with hidden order books."
      />
      <DemoAccountCard />
    </>
  );
}

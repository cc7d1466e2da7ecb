import { PageHeading } from '../components/PageHeading';
import { LiveGames } from '../components/flash/LiveGames';

export function FlashPage() {
  return (
    <>
      <PageHeading
        title="Flash"
        description="Live games with fair odds from a quorum of sportsbooks, margin removed."
      />
      <p className="flash-soon" data-testid="flash-soon">
        Flash markets open here soon.
      </p>
      <LiveGames />
    </>
  );
}

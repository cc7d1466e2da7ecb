import { PageHeading } from '../components/PageHeading';
import { hrefFor } from '../router';

export function NotFoundPage() {
  return (
    <>
      <PageHeading title="Page not found" description="There is no page at this address." />
      <p>
        <a href={hrefFor('trade')}>Go to Trade</a>
      </p>
    </>
  );
}

import { PageHeading } from '../components/PageHeading';

export function FlashPage() {
  return (
    <PageHeading title="Flash" description="Coming soon: sub-minute flash markets." />
  );
}

import { PageHeading } from '../components/PageHeading';

export function AdminPage() {
  return <PageHeading title="Admin" description="Coming soon: the operator panel." />;
}

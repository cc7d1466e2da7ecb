import { useEffect } from 'react';
import { useQuery } from 'urql';
import { useSession } from '../auth/AuthProvider';
import { AccountSection } from '../components/admin/AccountSection';
import { ApiKeysSection } from '../components/admin/ApiKeysSection';
import { DataExportSection } from '../components/admin/DataExportSection';
import { ActivitySection, SessionsSection } from '../components/admin/SessionsSection';
import { TwoFactorSection } from '../components/admin/TwoFactorSection';
import { WalletSection } from '../components/admin/WalletSection';
import { OperatorPanel } from '../components/operator/OperatorPanel';
import { SignedOutNotice } from '../components/auth/SignedOutNotice';
import { ErrorMessage } from '../components/ErrorMessage';
import { PageHeading } from '../components/PageHeading';
import { MeQuery } from '../graphql/accountOperations';

const DESCRIPTION = 'Your account: security, API keys, wallet, sessions and your data.';
const RETRY_MS = 2_000;

function AccountPanels() {
  const [result, refetch] = useQuery({ query: MeQuery, requestPolicy: 'network-only' });
  const account = result.data?.me;
  const reload = () => refetch({ requestPolicy: 'network-only' });
  // A refused load (rate limited, a network blip) is tried again, not left as an error.
  const failure = result.error;
  useEffect(() => {
    if (failure === undefined) return;
    const timer = setTimeout(() => refetch({ requestPolicy: 'network-only' }), RETRY_MS);
    return () => clearTimeout(timer);
  }, [failure, refetch]);

  if (result.error && !account) return <ErrorMessage error={result.error} context="Account" />;
  if (!account) return <p className="muted">Loading your account…</p>;

  return (
    <>
      <div className="admin-grid">
        <AccountSection account={account} onChange={reload} />
        <TwoFactorSection account={account} onChange={reload} />
        <ApiKeysSection />
        <WalletSection account={account} onChange={reload} />
        <SessionsSection />
        <ActivitySection />
        <DataExportSection />
      </div>
      <OperatorPanel roles={account.roles} />
    </>
  );
}

export function AdminPage() {
  const session = useSession();
  return (
    <>
      <PageHeading title="Admin" description={DESCRIPTION} />
      {session ? (
        <AccountPanels key={session.accountId} />
      ) : (
        <SignedOutNotice title="Your account" purpose="manage your account" testId="admin-signed-out" />
      )}
    </>
  );
}

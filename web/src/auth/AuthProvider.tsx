/**
 * Who is signed in, for components: the session from `session.ts`, sign-in and
 * sign-out actions, and the log-in / register dialogs any page may open. Also
 * owns the urql client, re-created per account so no cached private data
 * outlives its owner's session.
 */
import {
  createContext,
  useCallback,
  useContext,
  useMemo,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import { Provider } from 'urql';
import { createAppClient } from '../graphql/client';
import {
  OpenDemoAccountMutation,
  LogoutMutation,
  type Refusal,
} from '../graphql/accountOperations';
import { describeError } from '../graphql/errors';
import {
  getSession,
  signIn,
  signOut as forgetSession,
  subscribeSession,
  type Session,
  type SignedInPayload,
} from './session';

export type AuthDialog = 'login' | 'register' | null;

export interface AuthContextValue {
  session: Session | null;
  signIn: (payload: SignedInPayload, options?: { demo?: boolean }) => void;
  /** Revokes the session on the server (best effort) and forgets it here. */
  logOut: () => Promise<void>;
  /** Opens a demo account and signs in; resolves to an error text, or null on success. */
  tryDemo: () => Promise<string | null>;
  dialog: AuthDialog;
  openDialog: (dialog: AuthDialog) => void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside <AuthProvider>');
  return value;
}

/** The signed-in session, or null; re-renders on sign-in, sign-out and refresh. */
export function useSession(): Session | null {
  return useSyncExternalStore(subscribeSession, getSession, getSession);
}

export function refusalText(refusal: Refusal): string {
  if (refusal.retryAfter !== undefined && refusal.retryAfter !== null) {
    return `${refusal.message} (try again in ${Math.max(1, Math.ceil(refusal.retryAfter))} s)`;
  }
  return refusal.message;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const session = useSession();
  const accountId = session?.accountId ?? null;
  // A fresh client (and cache) for every account, and for signed-out browsing.
  const client = useMemo(() => createAppClient(), [accountId]);
  const [dialog, setDialog] = useState<AuthDialog>(null);

  const logOut = useCallback(async () => {
    try {
      await client.mutation(LogoutMutation, {}).toPromise();
    } finally {
      forgetSession();
    }
  }, [client]);

  const tryDemo = useCallback(async (): Promise<string | null> => {
    const response = await client.mutation(OpenDemoAccountMutation, {}).toPromise();
    const outcome = response.data?.openDemoAccount;
    if (!outcome) return response.error ? describeError(response.error) : 'No answer from the server.';
    if (outcome.__typename !== 'SignedIn' || !('accessToken' in outcome)) {
      return refusalText(outcome as Refusal);
    }
    signIn(outcome, { demo: true });
    setDialog(null);
    return null;
  }, [client]);

  const value = useMemo<AuthContextValue>(
    () => ({
      session,
      signIn: (payload, options) => {
        signIn(payload, options);
        setDialog(null);
      },
      logOut,
      tryDemo,
      dialog,
      openDialog: setDialog,
    }),
    [session, logOut, tryDemo, dialog],
  );

  return (
    <AuthContext.Provider value={value}>
      <Provider value={client}>{children}</Provider>
    </AuthContext.Provider>
  );
}

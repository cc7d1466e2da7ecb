import type { ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { refusalText } from '../../auth/AuthProvider';
import type { Refusal } from '../../graphql/accountOperations';
import { describeError } from '../../graphql/errors';
import type { ActionResult } from '../trading/results';

/** One titled section of the account page. */
export function Section({
  id,
  title,
  aside,
  children,
}: {
  id: string;
  title: string;
  aside?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="card admin-section" aria-labelledby={`${id}-title`} data-testid={`admin-${id}`}>
      <div className="card-header">
        <h2 id={`${id}-title`}>{title}</h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

/**
 * The outcome of a mutation as an `ActionResult`: the success text, the typed
 * refusal's message, or a transport error.
 */
export function outcomeResult(
  outcome: { __typename: string } | undefined,
  error: CombinedError | undefined,
  success: string,
  successText: string,
): ActionResult {
  if (!outcome) {
    return { tone: 'error', text: error ? describeError(error) : 'No answer from the server.' };
  }
  if (outcome.__typename === success) return { tone: 'success', text: successText };
  const refusal = outcome as Refusal;
  return { tone: 'error', text: refusalText(refusal), code: refusal.code };
}

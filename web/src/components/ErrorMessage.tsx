import type { CombinedError } from 'urql';
import { describeError } from '../graphql/errors';

export function ErrorMessage({ error, context }: { error: CombinedError; context?: string }) {
  return (
    <p className="error-message" role="alert">
      {context ? `${context}: ` : ''}
      {describeError(error)}
    </p>
  );
}

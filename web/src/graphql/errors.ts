import type { CombinedError } from 'urql';

const MAX_LENGTH = 160;

function shorten(message: string): string {
  const firstLine = message.split('\n', 1)[0]?.trim() ?? '';
  if (firstLine === '') return 'Unexpected server error.';
  return firstLine.length > MAX_LENGTH ? `${firstLine.slice(0, MAX_LENGTH - 1)}…` : firstLine;
}

/** A short, human-readable description of a GraphQL / network error (never a stack trace). */
export function describeError(error: CombinedError): string {
  const first = error.graphQLErrors[0];
  if (first) return shorten(first.message);
  if (error.networkError) return 'Cannot reach the GoDark server.';
  return 'Unexpected server error.';
}

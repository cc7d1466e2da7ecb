import type { CombinedError } from 'urql';

const MAX_LENGTH = 160;

function shorten(message: string): string {
  const firstLine = message.split('\n', 1)[0]?.trim() ?? '';
  if (firstLine === '') return 'Unexpected server error.';
  return firstLine.length > MAX_LENGTH ? `${firstLine.slice(0, MAX_LENGTH - 1)}…` : firstLine;
}

/** Seed 004's friendly text for `RATE_LIMITED` (HTTP 429), with the server's retry time. */
export function rateLimitedMessage(retryAfterSeconds: unknown): string {
  const seconds = Math.ceil(Number(retryAfterSeconds));
  const wait = Number.isFinite(seconds) && seconds > 0 ? `${seconds} s` : 'a moment';
  return `Too many requests. Please wait ${wait} and try again.`;
}

/** A short, human-readable description of a GraphQL / network error (never a stack trace). */
export function describeError(error: CombinedError): string {
  const first = error.graphQLErrors[0];
  if (first?.extensions?.code === 'RATE_LIMITED') return rateLimitedMessage(first.extensions.retryAfter);
  if (first) return shorten(first.message);
  const response = error.response as { status?: number; headers?: Headers } | undefined;
  if (response?.status === 429) return rateLimitedMessage(response.headers?.get('Retry-After'));
  if (error.networkError) return 'Cannot reach the GoDark server.';
  return 'Unexpected server error.';
}

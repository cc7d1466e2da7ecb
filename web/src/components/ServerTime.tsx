/** Renders an ISO-8601 timestamp as `HH:MM:SS UTC`, keeping the full value machine-readable. */
export function ServerTime({ iso, testId }: { iso: string; testId?: string }) {
  const date = new Date(iso);
  const label = Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(11, 19)} UTC`;
  return (
    <time dateTime={iso} title={iso} data-testid={testId}>
      {label}
    </time>
  );
}

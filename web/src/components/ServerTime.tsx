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

/** Renders an ISO-8601 timestamp as `YYYY-MM-DD HH:MM UTC` (dates in account pages). */
export function DateTimeText({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  const date = new Date(iso);
  const label = Number.isNaN(date.getTime())
    ? iso
    : `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 16)} UTC`;
  return (
    <time dateTime={iso} title={iso}>
      {label}
    </time>
  );
}

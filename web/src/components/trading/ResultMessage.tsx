import type { ActionResult } from './results';

/**
 * The outcome of the last action, announced politely to screen readers. The
 * live region is always rendered so that a new message is read out.
 */
export function ResultMessage({
  result,
  testId,
  className = '',
}: {
  result: ActionResult | null;
  testId?: string;
  className?: string;
}) {
  return (
    <div className={`action-result-region ${className}`.trim()} role="status" aria-live="polite" data-testid={testId}>
      {result ? (
        <p className={`action-result action-result-${result.tone}`}>
          <span className="action-result-dot" aria-hidden="true" />
          <span>
            {result.text}
            {result.code ? <span className="action-result-code"> ({result.code})</span> : null}
          </span>
        </p>
      ) : null}
    </div>
  );
}

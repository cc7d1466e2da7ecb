import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

/** A labelled input with an optional hint, wired up for screen readers. */
export function Field({
  label,
  hint,
  ...input
}: { label: string; hint?: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={hint ? hintId : undefined} {...input} />
      {hint ? (
        <div id={hintId} className="field-hint">
          {hint}
        </div>
      ) : null}
    </div>
  );
}

/** A refusal or failure, announced at once. */
export function FormError({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <p className="error-message" role="alert">
      {text}
    </p>
  );
}

/** A success or information line, announced politely. */
export function FormNotice({ text, testId }: { text: string | null; testId?: string }) {
  return (
    <div role="status" aria-live="polite" data-testid={testId}>
      {text ? <p className="form-notice">{text}</p> : null}
    </div>
  );
}

/** Seed 004 password policy, checked here for guidance; the server has the final word. */
export const PASSWORD_RULES: ReadonlyArray<{ label: string; test: (password: string) => boolean }> = [
  { label: 'at least 8 characters', test: (p) => p.length >= 8 },
  { label: 'an upper-case letter', test: (p) => /[A-Z]/.test(p) },
  { label: 'a lower-case letter', test: (p) => /[a-z]/.test(p) },
  { label: 'a digit', test: (p) => /\d/.test(p) },
  { label: 'a special character', test: (p) => /[^A-Za-z0-9]/.test(p) },
];

export function PasswordPolicy({ password }: { password: string }) {
  return (
    <>
      <span>Use at least:</span>
      <ul className="policy-list">
        {PASSWORD_RULES.map((rule) => {
          const met = rule.test(password);
          return (
            <li key={rule.label} className={met ? 'policy-met' : undefined}>
              <span aria-hidden="true">{met ? '✓' : '•'}</span> {rule.label}
              <span className="visually-hidden">{met ? ' (done)' : ''}</span>
            </li>
          );
        })}
        <li>
          <span aria-hidden="true">•</span> not a common password
        </li>
      </ul>
    </>
  );
}

export function meetsPasswordPolicy(password: string): boolean {
  return PASSWORD_RULES.every((rule) => rule.test(password));
}

/** A fresh idempotency key for one money transfer (the same key twice moves money once). */
export function newIdempotencyKey(prefix: string): string {
  const random =
    typeof crypto !== 'undefined' && 'randomUUID' in crypto
      ? crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  return `${prefix}-${random}`;
}

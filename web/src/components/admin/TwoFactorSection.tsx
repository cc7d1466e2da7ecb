import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import {
  BeginTwoFactorSetupMutation,
  ConfirmTwoFactorMutation,
  DisableTwoFactorMutation,
  type Account,
  type TwoFactorSetup,
} from '../../graphql/accountOperations';
import { Field } from '../auth/fields';
import { ResultMessage } from '../trading/ResultMessage';
import type { ActionResult } from '../trading/results';
import { CopyButton } from './CopyButton';
import { Section, outcomeResult } from './shared';

function BackupCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="secret-once" data-testid="backup-codes">
      <p className="warning" role="alert">
        Two-factor authentication is on. Store these {codes.length} backup codes somewhere safe now: each
        works once if you lose your phone, and they are not shown again.
      </p>
      <ol className="backup-codes mono">
        {codes.map((code) => (
          <li key={code} data-testid="backup-code">
            {code}
          </li>
        ))}
      </ol>
      <div className="form-actions">
        <CopyButton text={codes.join('\n')} label="Copy the codes" />
        <button type="button" className="btn" onClick={onDone}>
          I have stored them
        </button>
      </div>
    </div>
  );
}

function Enable({ onCodes }: { onCodes: (codes: string[]) => void }) {
  const [setup, setSetup] = useState<TwoFactorSetup | null>(null);
  const [code, setCode] = useState('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching: starting }, begin] = useMutation(BeginTwoFactorSetupMutation);
  const [{ fetching: confirming }, confirm] = useMutation(ConfirmTwoFactorMutation);

  const start = async () => {
    setResult(null);
    const response = await begin({});
    const outcome = response.data?.beginTwoFactorSetup;
    if (outcome?.__typename === 'TwoFactorSetup' && 'secret' in outcome) setSetup(outcome);
    else setResult(outcomeResult(outcome, response.error, 'TwoFactorSetup', ''));
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const response = await confirm({ code: code.trim() });
    const outcome = response.data?.confirmTwoFactor;
    if (outcome?.__typename === 'BackupCodes' && 'codes' in outcome) {
      onCodes(outcome.codes);
    } else {
      setResult(outcomeResult(outcome, response.error, 'BackupCodes', ''));
    }
  };

  if (!setup) {
    return (
      <>
        <p>Protect logins and sensitive changes with a code from an authenticator app.</p>
        <div className="form-actions">
          <button type="button" className="btn btn-primary" onClick={() => void start()} disabled={starting}>
            Enable two-factor authentication
          </button>
        </div>
        <ResultMessage result={result} />
      </>
    );
  }

  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate aria-label="Confirm two-factor setup">
      <ol className="steps">
        <li>
          Scan this QR code with your authenticator app:
          <img className="qr-code" src={setup.qrCode} alt="QR code of your two-factor secret" width={180} height={180} />
        </li>
        <li>
          Or enter the secret by hand:{' '}
          <code className="mono secret" data-testid="totp-secret">
            {setup.secret}
          </code>{' '}
          <CopyButton text={setup.secret} />
        </li>
        <li>Then enter the 6-digit code the app shows.</li>
      </ol>
      <Field
        label="6-digit code"
        type="text"
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={6}
        value={code}
        onChange={(event) => setCode(event.target.value)}
      />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={confirming || code.trim().length !== 6}>
          Confirm and turn on
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => setSetup(null)}>
          Cancel
        </button>
      </div>
      <ResultMessage result={result} />
    </form>
  );
}

function Disable({ onChange }: { onChange: () => void }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, disable] = useMutation(DisableTwoFactorMutation);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const response = await disable({ password, code: code.trim() });
    const outcome = response.data?.disableTwoFactor;
    setResult(outcomeResult(outcome, response.error, 'Accepted', 'Two-factor authentication is off.'));
    if (outcome?.__typename === 'Accepted') onChange();
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate aria-label="Turn off two-factor authentication">
      <p data-testid="two-factor-on">Two-factor authentication is on.</p>
      <Field
        label="Password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      <Field
        label="Code from your app, or a backup code"
        type="text"
        autoComplete="one-time-code"
        value={code}
        onChange={(event) => setCode(event.target.value)}
      />
      <div className="form-actions">
        <button type="submit" className="btn btn-danger" disabled={fetching || password === '' || code === ''}>
          Turn off two-factor
        </button>
      </div>
      <ResultMessage result={result} />
    </form>
  );
}

export function TwoFactorSection({ account, onChange }: { account: Account; onChange: () => void }) {
  // Held here so the codes stay on screen when `me` then reports 2FA on.
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <Section id="two-factor" title="Two-factor authentication">
      {codes ? (
        <BackupCodes codes={codes} onDone={() => setCodes(null)} />
      ) : account.twoFactorEnabled ? (
        <Disable onChange={onChange} />
      ) : (
        <Enable
          onCodes={(fresh) => {
            setCodes(fresh);
            onChange();
          }}
        />
      )}
    </Section>
  );
}

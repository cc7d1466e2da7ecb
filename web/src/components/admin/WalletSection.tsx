import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import {
  LinkWalletMutation,
  UnlinkWalletMutation,
  WalletChallengeMutation,
  type Account,
  type WalletChallenge,
} from '../../graphql/accountOperations';
import { Field } from '../auth/fields';
import { DateTimeText } from '../ServerTime';
import { ResultMessage } from '../trading/ResultMessage';
import type { ActionResult } from '../trading/results';
import { Section, outcomeResult } from './shared';

/** The part of Phantom's injected provider (window.solana) used here. */
interface SolanaProvider {
  isPhantom?: boolean;
  connect: () => Promise<{ publicKey: { toString: () => string } }>;
  signMessage: (message: Uint8Array, display?: 'utf8' | 'hex') => Promise<{ signature: Uint8Array }>;
}

function injectedWallet(): SolanaProvider | null {
  const candidate = (window as unknown as { solana?: SolanaProvider }).solana;
  return candidate && typeof candidate.signMessage === 'function' ? candidate : null;
}

/** The server accepts base58 or base64 signatures; base64 needs no library. */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  bytes.forEach((byte) => {
    binary += String.fromCharCode(byte);
  });
  return btoa(binary);
}

function LinkWallet({ onChange }: { onChange: () => void }) {
  const [address, setAddress] = useState('');
  const [challenge, setChallenge] = useState<WalletChallenge | null>(null);
  const [signature, setSignature] = useState('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching: asking }, requestChallenge] = useMutation(WalletChallengeMutation);
  const [{ fetching: linking }, link] = useMutation(LinkWalletMutation);
  const wallet = injectedWallet();

  const ask = async (forAddress: string): Promise<WalletChallenge | null> => {
    setResult(null);
    const response = await requestChallenge({ address: forAddress.trim() });
    const outcome = response.data?.walletChallenge;
    if (outcome?.__typename === 'WalletChallenge' && 'nonce' in outcome) {
      setChallenge(outcome);
      return outcome;
    }
    setResult(outcomeResult(outcome, response.error, 'WalletChallenge', ''));
    return null;
  };

  const send = async (nonce: string, signed: string) => {
    const response = await link({ nonce, signature: signed.trim() });
    const outcome = response.data?.linkWallet;
    setResult(outcomeResult(outcome, response.error, 'Account', 'Wallet linked.'));
    if (outcome?.__typename === 'Account') {
      setChallenge(null);
      setSignature('');
      onChange();
    }
  };

  const signWithWallet = async () => {
    if (!wallet) return;
    try {
      const { publicKey } = await wallet.connect();
      const connected = publicKey.toString();
      setAddress(connected);
      const fresh = challenge && address.trim() === connected ? challenge : await ask(connected);
      if (!fresh) return;
      const { signature: signed } = await wallet.signMessage(new TextEncoder().encode(fresh.message), 'utf8');
      await send(fresh.nonce, toBase64(signed));
    } catch (error) {
      setResult({ tone: 'error', text: `The wallet did not sign: ${error instanceof Error ? error.message : 'cancelled'}.` });
    }
  };

  return (
    <>
      {wallet ? (
        <div className="form-actions">
          <button type="button" className="btn btn-primary" onClick={() => void signWithWallet()} disabled={asking || linking}>
            Connect {wallet.isPhantom ? 'Phantom' : 'wallet'} and sign
          </button>
        </div>
      ) : null}
      <form
        className="form"
        noValidate
        aria-label="Link a Solana wallet"
        onSubmit={(event: FormEvent<HTMLFormElement>) => {
          event.preventDefault();
          void ask(address);
        }}
      >
        <Field
          label="Solana address"
          type="text"
          autoComplete="off"
          spellCheck={false}
          value={address}
          onChange={(event) => {
            setAddress(event.target.value);
            setChallenge(null);
          }}
        />
        <div className="form-actions">
          <button type="submit" className="btn" disabled={asking || address.trim() === ''}>
            Get the message to sign
          </button>
        </div>
      </form>
      {challenge ? (
        <form
          className="form"
          noValidate
          aria-label="Send the signature"
          onSubmit={(event: FormEvent<HTMLFormElement>) => {
            event.preventDefault();
            void send(challenge.nonce, signature);
          }}
        >
          <p>
            Sign exactly this message with the wallet (valid until <DateTimeText iso={challenge.expiresAt} />):
          </p>
          <pre className="sign-message" data-testid="wallet-message">
            {challenge.message}
          </pre>
          <Field
            label="Signature (base58 or base64)"
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={signature}
            onChange={(event) => setSignature(event.target.value)}
          />
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={linking || signature.trim() === ''}>
              Link wallet
            </button>
          </div>
        </form>
      ) : null}
      <ResultMessage result={result} />
    </>
  );
}

function UnlinkWallet({ account, onChange }: { account: Account; onChange: () => void }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, unlink] = useMutation(UnlinkWalletMutation);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const response = await unlink({ password, twoFactorCode: account.twoFactorEnabled ? code.trim() : null });
    const outcome = response.data?.unlinkWallet;
    setResult(outcomeResult(outcome, response.error, 'Account', 'Wallet unlinked.'));
    if (outcome?.__typename === 'Account') onChange();
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} noValidate aria-label="Unlink the wallet">
      <p>
        Linked: <code className="mono" data-testid="wallet-address">{account.walletAddress}</code>
      </p>
      <Field
        label="Password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      {account.twoFactorEnabled ? (
        <Field
          label="Two-factor code"
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          value={code}
          onChange={(event) => setCode(event.target.value)}
        />
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-danger" disabled={fetching || password === ''}>
          Unlink wallet
        </button>
      </div>
      <ResultMessage result={result} />
    </form>
  );
}

export function WalletSection({ account, onChange }: { account: Account; onChange: () => void }) {
  return (
    <Section id="wallet" title="Wallet">
      {account.walletAddress ? (
        <UnlinkWallet account={account} onChange={onChange} />
      ) : (
        <>
          <p className="muted">Link a Solana wallet by signing a one-time message; settlement goes to it.</p>
          <LinkWallet onChange={onChange} />
        </>
      )}
    </Section>
  );
}

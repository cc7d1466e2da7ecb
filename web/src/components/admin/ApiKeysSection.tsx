import { useEffect, useId, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  API_PERMISSIONS,
  ApiKeysQuery,
  CreateApiKeyMutation,
  DeleteApiKeyMutation,
  UpdateApiKeyMutation,
  type ApiKey,
  type ApiPermission,
} from '../../graphql/accountOperations';
import { Field } from '../auth/fields';
import { ErrorMessage } from '../ErrorMessage';
import { ScrollRegion } from '../ScrollRegion';
import { DateTimeText } from '../ServerTime';
import { ResultMessage } from '../trading/ResultMessage';
import type { ActionResult } from '../trading/results';
import { CopyButton } from './CopyButton';
import { Section, outcomeResult } from './shared';

const PERMISSION_HINT: Record<ApiPermission, string> = {
  READ: 'balances, orders, positions',
  TRADE: 'place and cancel orders',
  WITHDRAW: 'move funds out',
};

/** "10.0.0.1, 192.168.0.0/24" -> ["10.0.0.1", "192.168.0.0/24"] */
function parseAllowList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function CreateKey({ onCreated }: { onCreated: () => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [permissions, setPermissions] = useState<ApiPermission[]>(['READ']);
  const [allowList, setAllowList] = useState('');
  const [expiresOn, setExpiresOn] = useState('');
  const [secret, setSecret] = useState<{ key: string; secret: string } | null>(null);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, create] = useMutation(CreateApiKeyMutation);

  const toggle = (permission: ApiPermission, on: boolean) =>
    setPermissions((current) =>
      on ? API_PERMISSIONS.filter((p) => p === permission || current.includes(p)) : current.filter((p) => p !== permission),
    );

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setResult(null);
    if (name.trim() === '' || permissions.length === 0) {
      setResult({ tone: 'error', text: 'Give the key a name and at least one permission.' });
      return;
    }
    const response = await create({
      input: {
        name: name.trim(),
        permissions,
        allowList: parseAllowList(allowList),
        expiresAt: expiresOn === '' ? null : new Date(`${expiresOn}T23:59:59Z`).toISOString(),
      },
    });
    const outcome = response.data?.createApiKey;
    if (outcome?.__typename === 'CreatedApiKey' && 'secret' in outcome) {
      setSecret({ key: outcome.key.id, secret: outcome.secret });
      setName('');
      setAllowList('');
      setExpiresOn('');
      onCreated();
    } else {
      setResult(outcomeResult(outcome, response.error, 'CreatedApiKey', ''));
    }
  };

  return (
    <>
      {secret ? (
        <div className="secret-once" data-testid="api-key-secret">
          <p className="warning" role="alert">
            Copy the secret of key <span className="mono">{secret.key}</span> now: it is shown this once and
            GoDark does not keep it.
          </p>
          <p>
            <code className="mono secret">{secret.secret}</code>
          </p>
          <div className="form-actions">
            <CopyButton text={secret.secret} label="Copy the secret" />
            <button type="button" className="btn" onClick={() => setSecret(null)}>
              I have stored it
            </button>
          </div>
        </div>
      ) : null}
      <form className="form" onSubmit={(event) => void submit(event)} noValidate aria-label="Create an API key">
        <h3>New key</h3>
        <Field label="Name" type="text" value={name} onChange={(event) => setName(event.target.value)} />
        <fieldset className="checkbox-group">
          <legend>Permissions</legend>
          {API_PERMISSIONS.map((permission) => (
            <label key={permission} className="checkbox">
              <input
                type="checkbox"
                checked={permissions.includes(permission)}
                onChange={(event) => toggle(permission, event.target.checked)}
              />
              <span>
                {permission} <span className="muted small">({PERMISSION_HINT[permission]})</span>
              </span>
            </label>
          ))}
        </fieldset>
        <Field
          label="Allowed IPs (optional)"
          type="text"
          placeholder="203.0.113.7, 198.51.100.0/24"
          value={allowList}
          onChange={(event) => setAllowList(event.target.value)}
          hint="Addresses or CIDR networks, separated by commas; empty allows any address."
        />
        <div className="field">
          <label htmlFor={`${id}-expires`}>Expires (optional)</label>
          <input id={`${id}-expires`} type="date" value={expiresOn} onChange={(event) => setExpiresOn(event.target.value)} />
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={fetching}>
            Create key
          </button>
        </div>
        <ResultMessage result={result} />
      </form>
    </>
  );
}

function EditKey({ apiKey, onDone }: { apiKey: ApiKey; onDone: (changed: boolean) => void }) {
  const [name, setName] = useState(apiKey.name);
  const [allowList, setAllowList] = useState(apiKey.allowList.join(', '));
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, update] = useMutation(UpdateApiKeyMutation);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const response = await update({ id: apiKey.id, name: name.trim(), allowList: parseAllowList(allowList) });
    const outcome = response.data?.updateApiKey;
    if (outcome?.__typename === 'ApiKey') onDone(true);
    else setResult(outcomeResult(outcome, response.error, 'ApiKey', ''));
  };

  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} noValidate aria-label={`Edit key ${apiKey.name}`}>
      <Field label="Name" type="text" value={name} onChange={(event) => setName(event.target.value)} />
      <Field label="Allowed IPs" type="text" value={allowList} onChange={(event) => setAllowList(event.target.value)} />
      <button type="submit" className="btn btn-small" disabled={fetching}>
        Save
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => onDone(false)}>
        Cancel
      </button>
      <ResultMessage result={result} />
    </form>
  );
}

function DeleteKey({ apiKey, onDone }: { apiKey: ApiKey; onDone: (changed: boolean) => void }) {
  const [password, setPassword] = useState('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [{ fetching }, remove] = useMutation(DeleteApiKeyMutation);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const response = await remove({ id: apiKey.id, password });
    const outcome = response.data?.deleteApiKey;
    if (outcome?.__typename === 'Accepted') onDone(true);
    else setResult(outcomeResult(outcome, response.error, 'Accepted', ''));
  };

  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} noValidate aria-label={`Delete key ${apiKey.name}`}>
      <Field
        label="Your password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      <button type="submit" className="btn btn-small btn-danger" disabled={fetching || password === ''}>
        Delete key
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => onDone(false)}>
        Cancel
      </button>
      <ResultMessage result={result} />
    </form>
  );
}

const RETRY_MS = 2_000;

export function ApiKeysSection() {
  const [result, refetch] = useQuery({ query: ApiKeysQuery, requestPolicy: 'network-only' });
  const [editing, setEditing] = useState<{ id: string; action: 'edit' | 'delete' } | null>(null);
  const keys = result.data?.apiKeys;
  const reload = () => refetch({ requestPolicy: 'network-only' });
  // A refused load (rate limited, a network blip) is tried again rather than left empty.
  const failure = result.error;
  useEffect(() => {
    if (failure === undefined) return;
    const timer = setTimeout(() => refetch({ requestPolicy: 'network-only' }), RETRY_MS);
    return () => clearTimeout(timer);
  }, [failure, refetch]);
  const done = (changed: boolean) => {
    setEditing(null);
    if (changed) reload();
  };

  return (
    <Section id="api-keys" title="API keys">
      {result.error ? <ErrorMessage error={result.error} context="API keys" /> : null}
      {keys === undefined ? (
        result.error ? null : <p className="muted">Loading keys…</p>
      ) : keys.length === 0 ? (
        <p className="muted">No API keys. Bots sign their requests with a key and its secret.</p>
      ) : (
        <ScrollRegion label="API keys table">
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Permissions</th>
                <th scope="col">Allowed IPs</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((apiKey) => (
                <tr key={apiKey.id} data-testid={`api-key-${apiKey.id}`}>
                  <th scope="row">
                    {apiKey.name}
                    <div className="muted small mono">{apiKey.id}</div>
                  </th>
                  <td>{apiKey.permissions.join(', ')}</td>
                  <td className="mono">{apiKey.allowList.length ? apiKey.allowList.join(', ') : 'any'}</td>
                  <td>
                    <DateTimeText iso={apiKey.createdAt} />
                  </td>
                  <td>{apiKey.expiresAt ? <DateTimeText iso={apiKey.expiresAt} /> : 'never'}</td>
                  <td className="row-actions">
                    {editing?.id === apiKey.id ? (
                      editing.action === 'edit' ? (
                        <EditKey apiKey={apiKey} onDone={done} />
                      ) : (
                        <DeleteKey apiKey={apiKey} onDone={done} />
                      )
                    ) : (
                      <>
                        <button
                          type="button"
                          className="btn btn-small"
                          aria-label={`Edit key ${apiKey.name}`}
                          onClick={() => setEditing({ id: apiKey.id, action: 'edit' })}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          aria-label={`Delete key ${apiKey.name}`}
                          onClick={() => setEditing({ id: apiKey.id, action: 'delete' })}
                        >
                          Delete
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      <CreateKey onCreated={reload} />
    </Section>
  );
}

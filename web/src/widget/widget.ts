/*
 * The embeddable GoDark odds widget (seed 003 §9.4, issue 8): one script tag on any page,
 *
 *   <script src="https://HOST/widget.js" data-godark-sport="soccer" data-ref="CODE"></script>
 *
 * renders the live flash odds of the public API inside a shadow root (the host page's CSS
 * cannot reach in, ours cannot leak out), and links back to GoDark with the referral code.
 * Odds arrive live over one graphql-transport-ws socket (the public flashTicker
 * subscription: every open market, then each change); only if the socket cannot be opened or
 * kept does the widget poll the flashMarkets query every 2 s instead. Either way it is
 * anonymous: no credentials, no cookies, no connection_init payload. The host element's
 * data-godark-transport says which is in use ("socket" or "polling"), and
 * data-godark-updates counts the live updates received so far.
 *
 * Attributes: data-godark-sport (soccer, basketball, tennis; default all), data-market (one
 * market id), data-ref (referral code), data-godark-limit (markets shown, default 4),
 * data-godark-theme (dark | light), data-godark-accent (a CSS colour).
 */

import { createClient } from 'graphql-ws';
import type { GoDarkWidgetLiveSubscription, GoDarkWidgetQuery } from '../graphql/generated/graphql';

const REFRESH_MS = 2_000;
// Reconnections tried (graphql-ws backs off between them) before falling back to polling.
const SOCKET_RETRIES = 3;
const DEFAULT_LIMIT = 4;
const MAX_LIMIT = 12;
const QUERY = /* GraphQL */ `query GoDarkWidget($sport: String) { flashMarkets(status: OPEN, sport: $sport) {
  id title sport deadline outcomes { outcome decimalOdds } } }`;
const SUBSCRIPTION = /* GraphQL */ `subscription GoDarkWidgetLive { flashTicker { kind market {
  id title sport status deadline outcomes { outcome decimalOdds } } } }`;

/** Typed from schema.graphql by `npm run codegen`; a type-only import keeps widget.js self-contained. */
type WidgetMarket = GoDarkWidgetQuery['flashMarkets'][number];
type TickerUpdate = GoDarkWidgetLiveSubscription['flashTicker'];
type Transport = 'connecting' | 'socket' | 'polling';

interface WidgetOptions {
  origin: string;
  sport: string | null;
  market: string | null;
  referral: string | null;
  limit: number;
  theme: 'dark' | 'light';
  accent: string | null;
}

const STYLE = `
:host { all: initial; display: block; }
/* Set here, not on :host: the host page's rules for the host element win over :host. */
.w { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; text-align: left; --bg: #0f141c; --fg: #e8edf4; --muted: #a3adbb; --line: #263041; --accent: #4cc38a;
  background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 10px;
  padding: 10px 12px; max-width: 360px; box-sizing: border-box; }
.w.light { --bg: #ffffff; --fg: #111827; --muted: #4b5563; --line: #d1d5db; --accent: #047857; }
h2 { font-size: 14px; margin: 0 0 8px; display: flex; justify-content: space-between; gap: 8px; }
.live { color: var(--accent); font-weight: 600; font-size: 12px; }
ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
li { border-top: 1px solid var(--line); padding-top: 8px; }
li:first-child { border-top: 0; padding-top: 0; }
.t { display: flex; justify-content: space-between; gap: 8px; }
.title { font-weight: 600; overflow-wrap: anywhere; }
.cd { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
.odds { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 4px; }
a.o { color: var(--fg); text-decoration: none; border: 1px solid var(--line); border-radius: 6px;
  padding: 2px 8px; display: inline-flex; gap: 6px; }
a.o:hover, a.o:focus-visible { border-color: var(--accent); outline: 2px solid var(--accent); outline-offset: 1px; }
.n { color: var(--accent); font-weight: 700; font-variant-numeric: tabular-nums; }
.empty, .foot { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
.foot a { color: var(--accent); }
`;

function currentScript(): HTMLScriptElement | null {
  const own = document.currentScript;
  if (own instanceof HTMLScriptElement) return own;
  const candidates = Array.from(document.querySelectorAll<HTMLScriptElement>('script[src*="widget.js"]'));
  return candidates.find((s) => s.dataset.godarkMounted === undefined) ?? null;
}

function optionsOf(script: HTMLScriptElement): WidgetOptions {
  const data = script.dataset;
  const limit = Number.parseInt(data.godarkLimit ?? '', 10);
  return {
    origin: new URL(script.src, document.baseURI).origin,
    sport: (data.godarkSport ?? data.sport ?? '').trim().toUpperCase() || null,
    market: (data.market ?? data.godarkMarket ?? '').trim() || null,
    referral: (data.ref ?? data.godarkRef ?? '').trim() || null,
    limit: Number.isFinite(limit) && limit > 0 ? Math.min(limit, MAX_LIMIT) : DEFAULT_LIMIT,
    theme: data.godarkTheme === 'light' ? 'light' : 'dark',
    accent: data.godarkAccent ?? null,
  };
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function countdown(deadline: string, now: number): string {
  const seconds = Math.max(0, Math.ceil((Date.parse(deadline) - now) / 1000));
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m ${seconds % 60}s` : `${seconds}s`;
}

function outcomeLabel(outcome: string): string {
  return outcome.charAt(0) + outcome.slice(1).toLowerCase().replace(/_/g, ' ');
}

class OddsWidget {
  private readonly root: ShadowRoot;
  private readonly list: HTMLUListElement;
  private readonly status: HTMLParagraphElement;
  private markets: WidgetMarket[] = [];
  // The socket's view: every open market by id, kept from its snapshot and changes.
  private readonly live = new Map<string, WidgetMarket>();
  private failed = false;
  private transport: Transport = 'connecting';
  private updates = 0;

  constructor(
    private readonly host: HTMLElement,
    private readonly options: WidgetOptions,
  ) {
    this.root = host.attachShadow({ mode: 'open' });
    const heading = element(
      'h2',
      { id: 'godark-widget-title' },
      options.sport ? `Live ${outcomeLabel(options.sport)} odds` : 'Live flash odds',
      element('span', { class: 'live', 'aria-hidden': 'true' }, '● LIVE'),
    );
    this.list = element('ul', { 'aria-live': 'off' });
    this.status = element('p', { class: 'empty', role: 'status' }, 'Loading odds…');
    const foot = element(
      'p',
      { class: 'foot' },
      'Odds by ',
      element('a', { href: this.link(null), target: '_blank', rel: 'noopener' }, 'GoDark'),
      ' · bet responsibly, 18+',
    );
    const frame = element(
      'section',
      { class: `w ${options.theme}`, 'aria-labelledby': 'godark-widget-title', part: 'widget' },
      heading,
      this.list,
      this.status,
      foot,
    );
    if (options.accent) frame.style.setProperty('--accent', options.accent);
    this.root.append(element('style', {}, STYLE), frame);
  }

  start(): void {
    this.setTransport('connecting');
    this.subscribe();
    // Countdowns tick, and markets past their deadline leave, between updates.
    window.setInterval(() => this.render(), 1_000);
  }

  private setTransport(transport: Transport): void {
    this.transport = transport;
    this.host.dataset.godarkTransport = transport;
  }

  private subscribe(): void {
    const url = new URL('/graphql', this.options.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const client = createClient({
      url: url.toString(),
      retryAttempts: SOCKET_RETRIES,
      on: {
        // A (re)connection resubscribes and the ticker starts again with a snapshot.
        connected: () => {
          this.live.clear();
          this.setTransport('socket');
        },
      },
    });
    const fallBack = () => {
      void client.dispose();
      this.pollInstead();
    };
    client.subscribe<GoDarkWidgetLiveSubscription>(
      { query: SUBSCRIPTION },
      {
        next: (result) => {
          if (result.data) this.apply(result.data.flashTicker);
        },
        error: fallBack,
        complete: fallBack,
      },
    );
  }

  private apply(update: TickerUpdate): void {
    const { market } = update;
    this.updates += 1;
    this.host.dataset.godarkUpdates = String(this.updates);
    const wanted =
      (this.options.sport === null || market.sport === this.options.sport) &&
      (this.options.market === null || market.id === this.options.market);
    if (wanted && market.status === 'OPEN') this.live.set(market.id, market);
    else this.live.delete(market.id);
    this.markets = [...this.live.values()].sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
    this.failed = false;
    this.render();
  }

  private pollInstead(): void {
    if (this.transport === 'polling') return;
    this.setTransport('polling');
    void this.refresh();
    window.setInterval(() => void this.refresh(), REFRESH_MS);
  }

  private link(marketId: string | null): string {
    const url = new URL('/', this.options.origin);
    if (this.options.referral) url.searchParams.set('ref', this.options.referral);
    if (marketId) url.searchParams.set('market', marketId);
    url.hash = '#/flash';
    return url.toString();
  }

  private async refresh(): Promise<void> {
    try {
      // Anonymous and cookie-free: the API lets any origin read what an anonymous caller may.
      const response = await fetch(new URL('/graphql', this.options.origin), {
        method: 'POST',
        mode: 'cors',
        credentials: 'omit',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: QUERY, variables: { sport: this.options.sport } }),
      });
      const body = (await response.json()) as { data?: Partial<GoDarkWidgetQuery> };
      const found = body.data?.flashMarkets ?? [];
      this.markets = this.options.market ? found.filter((m) => m.id === this.options.market) : found;
      this.failed = false;
    } catch {
      this.failed = true;
    }
    this.render();
  }

  private render(): void {
    const now = Date.now();
    const shown = this.markets.filter((m) => Date.parse(m.deadline) > now).slice(0, this.options.limit);
    this.list.replaceChildren(
      ...shown.map((market) =>
        element(
          'li',
          { 'data-market': market.id },
          element(
            'div',
            { class: 't' },
            element('span', { class: 'title' }, market.title),
            element('span', { class: 'cd', 'aria-label': `closes in ${countdown(market.deadline, now)}` }, countdown(market.deadline, now)),
          ),
          element(
            'div',
            { class: 'odds' },
            ...market.outcomes.map((o) =>
              element(
                'a',
                {
                  class: 'o',
                  href: this.link(market.id),
                  target: '_blank',
                  rel: 'noopener',
                  // Starts with the visible text ("Yes 1.85"), so voice control users can say what they see.
                  'aria-label':
                    o.decimalOdds === null
                      ? `${outcomeLabel(o.outcome)}, odds unavailable`
                      : `${outcomeLabel(o.outcome)} ${o.decimalOdds}: bet on GoDark`,
                },
                element('span', {}, outcomeLabel(o.outcome)),
                ' ',
                element('span', { class: 'n' }, o.decimalOdds ?? '—'),
              ),
            ),
          ),
        ),
      ),
    );
    this.status.textContent = this.failed
      ? 'Odds are unavailable right now.'
      : shown.length === 0
        ? 'No live markets right now: new ones open every few seconds.'
        : '';
  }
}

function mount(): void {
  const script = currentScript();
  if (script === null) return;
  script.dataset.godarkMounted = 'true';
  const host = document.createElement('div');
  host.className = 'godark-widget';
  script.after(host);
  new OddsWidget(host, optionsOf(script)).start();
}

mount();

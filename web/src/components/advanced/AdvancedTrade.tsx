import { useEffect, useRef, useState } from 'react';
import type { Market, Order, OrderSide } from '../../graphql/operations';
import { SignedOutNotice } from '../auth/SignedOutNotice';
import { Modal } from '../Modal';
import { ReferenceBookCard } from '../markets/ReferenceBookCard';
import { marketDecimals } from '../markets/format';
import { PhoneOrderBar } from '../trading/PhoneOrderBar';
import { TradesTape } from '../trading/TradesTape';
import { usePhoneLayout } from '../usePhoneLayout';
import { AdvancedTicket, type TicketControl } from './AdvancedTicket';
import { CandleChart } from './CandleChart';
import { PositionManager } from './PositionManager';
import { WorkingOrders } from './WorkingOrders';

export const SHORTCUTS: ReadonlyArray<{ keys: string; action: string }> = [
  { keys: 'B', action: 'Set the side to Buy / Long' },
  { keys: 'S', action: 'Set the side to Sell / Short' },
  { keys: 'Enter', action: 'Review the order (a confirmation opens before anything is sent)' },
  { keys: 'Esc', action: 'Close a dialog, cancelling it' },
  { keys: '?', action: 'Show these shortcuts' },
];

/** Typing in a field or working in a dialog is not a shortcut. */
function ignored(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return true;
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  if (target.closest('dialog')) return true;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

interface Props {
  symbol: string;
  market: Market | undefined;
  markets: Market[] | undefined;
  orders: Order[] | undefined;
  signedIn: boolean;
}

/** Advanced mode: candles with indicators, the lit reference book, the tape, every order option. */
export function AdvancedTrade({ symbol, market, markets, orders, signedIn }: Props) {
  const [side, setSide] = useState<OrderSide>('BUY');
  const [helpOpen, setHelpOpen] = useState(false);
  const ticket = useRef<TicketControl | null>(null);
  const decimals = marketDecimals(market);
  const phone = usePhoneLayout();

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (ignored(event)) return;
      if (event.key === '?') {
        event.preventDefault();
        setHelpOpen(true);
      } else if (!signedIn) {
        return;
      } else if (event.key === 'b' || event.key === 'B') {
        setSide('BUY');
      } else if (event.key === 's' || event.key === 'S') {
        setSide('SELL');
      } else if (event.key === 'Enter') {
        const target = event.target as HTMLElement | null;
        if (target && (target.tagName === 'BUTTON' || target.tagName === 'A')) return; // activate it instead
        event.preventDefault();
        ticket.current?.review();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [signedIn]);

  return (
    <div className="advanced" data-testid="advanced-mode">
      <p className="muted small shortcut-hint">
        Keyboard: <kbd>B</kbd> buy, <kbd>S</kbd> sell, <kbd>Enter</kbd> review, <kbd>Esc</kbd> cancel.{' '}
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setHelpOpen(true)} data-testid="shortcuts-open">
          All shortcuts (?)
        </button>
      </p>
      <div className="advanced-grid">
        <div className="advanced-main">
          <CandleChart symbol={symbol} decimals={decimals} />
          {signedIn ? (
            <>
              <WorkingOrders orders={orders} markets={markets} symbol={symbol} />
              <PositionManager markets={markets} />
            </>
          ) : (
            <SignedOutNotice title="Orders and positions" testId="advanced-signed-out" />
          )}
        </div>
        <div className="advanced-side">
          {!signedIn ? (
            <SignedOutNotice title={`Advanced order · ${symbol}`} testId="advanced-ticket-signed-out" />
          ) : phone ? null /* in the bottom sheet instead */ : (
            <AdvancedTicket symbol={symbol} market={market} side={side} onSide={setSide} controlRef={ticket} />
          )}
          <ReferenceBookCard symbol={symbol} decimals={decimals} />
          <TradesTape symbol={symbol} decimals={decimals} baseAsset={market?.baseAsset ?? symbol.split('-')[0] ?? symbol} />
        </div>
      </div>
      {signedIn && phone ? (
        <PhoneOrderBar symbol={symbol} label={`Advanced order · ${symbol}`} onOpen={setSide}>
          {() => <AdvancedTicket symbol={symbol} market={market} side={side} onSide={setSide} controlRef={ticket} />}
        </PhoneOrderBar>
      ) : null}
      {helpOpen ? (
        <Modal title="Keyboard shortcuts" onClose={() => setHelpOpen(false)} testId="shortcuts-dialog">
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Does</th>
              </tr>
            </thead>
            <tbody>
              {SHORTCUTS.map((shortcut) => (
                <tr key={shortcut.keys}>
                  <th scope="row">
                    <kbd>{shortcut.keys}</kbd>
                  </th>
                  <td>{shortcut.action}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">Shortcuts are off while you type in a field.</p>
          <div className="form-actions">
            <button type="button" className="btn" autoFocus onClick={() => setHelpOpen(false)}>
              Close
            </button>
          </div>
        </Modal>
      ) : null}
    </div>
  );
}

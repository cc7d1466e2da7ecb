import { useState, type ReactNode } from 'react';
import type { OrderSide } from '../../graphql/operations';
import { BottomSheet } from '../BottomSheet';

/**
 * On a phone the order ticket is not on the page: a bar kept at the bottom of the
 * screen opens it as a bottom sheet, with the side already chosen.
 */
export function PhoneOrderBar({
  symbol,
  label,
  onOpen,
  children,
}: {
  symbol: string;
  /** The sheet's accessible name, e.g. "Order ticket · BTC-USDT-PERP". */
  label: string;
  onOpen?: (side: OrderSide) => void;
  children: (side: OrderSide) => ReactNode;
}) {
  const [openSide, setOpenSide] = useState<OrderSide | null>(null);

  const open = (side: OrderSide) => {
    onOpen?.(side);
    setOpenSide(side);
  };

  return (
    <>
      <div className="phone-order-bar" role="group" aria-label={`Trade ${symbol}`}>
        <button type="button" className="btn side-buy" onClick={() => open('BUY')} data-testid="sheet-open-buy">
          Buy / Long
        </button>
        <button type="button" className="btn side-sell" onClick={() => open('SELL')} data-testid="sheet-open-sell">
          Sell / Short
        </button>
      </div>
      {openSide === null ? null : (
        <BottomSheet label={label} onClose={() => setOpenSide(null)} testId="order-sheet">
          {children(openSide)}
        </BottomSheet>
      )}
    </>
  );
}

import { Suspense, lazy, useState } from 'react';
import { useSession } from '../auth/AuthProvider';
import { BalanceCard } from '../components/BalanceCard';
import { FundingPanel } from '../components/settlement/FundingPanel';
import { SignedOutNotice } from '../components/auth/SignedOutNotice';
import { PageHeading } from '../components/PageHeading';
import { MarketDetail } from '../components/markets/MarketDetail';
import { MarketsTable } from '../components/markets/MarketsTable';
import { ReferenceBookCard } from '../components/markets/ReferenceBookCard';
import { marketDecimals } from '../components/markets/format';
import { useLiveMarkets } from '../components/markets/hooks';
import { OpenOrdersCard } from '../components/trading/OpenOrdersCard';
import { OrderTicket } from '../components/trading/OrderTicket';
import { PositionsCard } from '../components/trading/PositionsCard';
import { TradesTape } from '../components/trading/TradesTape';
import { useMyOrders, useMyPositions } from '../components/trading/hooks';
import { setTradeMode, useTradeMode } from '../components/advanced/tradeMode';
import { ToggleGroup } from '../components/trading/ToggleGroup';
import { ReferralButton } from '../components/referral/ReferralButton';
import { PhoneOrderBar } from '../components/trading/PhoneOrderBar';
import { usePhoneLayout } from '../components/usePhoneLayout';

// Advanced mode (candles, every order type) is its own chunk: Basic users never fetch it.
const AdvancedTrade = lazy(() =>
  import('../components/advanced/AdvancedTrade').then((module) => ({ default: module.AdvancedTrade })),
);

const DEFAULT_MARKET = 'BTC-USDT-PERP';
const DESCRIPTION =
  'Dark-pool perpetual futures: hidden orders priced against the oracle index and the lit reference market.';

export function TradePage() {
  const [selected, setSelected] = useState(DEFAULT_MARKET);
  // The list once, prices from each market's ticker subscription (issue #8: no polling).
  const { data: markets, error } = useLiveMarkets();
  const market = markets?.find((candidate) => candidate.symbol === selected);
  const signedIn = useSession() !== null;
  const positions = useMyPositions();
  const orders = useMyOrders();
  const mode = useTradeMode();
  const phone = usePhoneLayout();

  return (
    <>
      <PageHeading
        title="Trade"
        description={DESCRIPTION}
      />
      <div className="trade-toolbar">
        <ToggleGroup
          label="Interface mode"
          value={mode}
          onChange={setTradeMode}
          options={[
            { value: 'basic', label: 'Basic', testId: 'mode-basic', title: 'Market and limit orders, area chart' },
            { value: 'advanced', label: 'Advanced', testId: 'mode-advanced', title: 'Every order type, candles, book, shortcuts' },
          ]}
        />
        {signedIn ? <ReferralButton /> : null}
      </div>
      {mode === 'advanced' ? (
        <div className="trade-grid trade-grid-advanced">
          <div className="trade-column">
            <MarketsTable markets={markets} error={error} selected={selected} onSelect={setSelected} />
            {signedIn ? <BalanceCard /> : null}
          </div>
          <div className="trade-column">
            <Suspense
              fallback={
                <p className="page-loading" role="status">
                  Loading Advanced mode…
                </p>
              }
            >
              <AdvancedTrade
                symbol={selected}
                market={market}
                markets={markets}
                orders={orders.data}
                signedIn={signedIn}
              />
            </Suspense>
          </div>
        </div>
      ) : (
      <div className="trade-grid">
        <div className="trade-column">
          <MarketsTable
            markets={markets}
            error={error}
            selected={selected}
            onSelect={setSelected}
          />
          {signedIn ? (
            <>
              <PositionsCard positions={positions.data} error={positions.error} markets={markets} />
              <OpenOrdersCard orders={orders.data} error={orders.error} markets={markets} />
              <BalanceCard />
              <FundingPanel />
            </>
          ) : (
            <SignedOutNotice title="Positions, orders and balance" testId="private-panels-signed-out" />
          )}
        </div>
        <div className="trade-column">
          <MarketDetail symbol={selected} market={market} />
          {signedIn && phone ? null : signedIn ? (
            <OrderTicket symbol={selected} market={market} positions={positions.data} />
          ) : (
            <SignedOutNotice title={`Order ticket · ${selected}`} testId="ticket-signed-out" />
          )}
          <TradesTape
            symbol={selected}
            decimals={marketDecimals(market)}
            baseAsset={market?.baseAsset ?? selected.split('-')[0] ?? selected}
          />
          <ReferenceBookCard symbol={selected} decimals={marketDecimals(market)} />
        </div>
      </div>
      )}
      {mode === 'basic' && signedIn && phone ? (
        <PhoneOrderBar symbol={selected} label={`Order ticket · ${selected}`}>
          {(side) => (
            <OrderTicket symbol={selected} market={market} positions={positions.data} initialSide={side} />
          )}
        </PhoneOrderBar>
      ) : null}
    </>
  );
}

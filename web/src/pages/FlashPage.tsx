import { useState } from 'react';
import { useSession } from '../auth/AuthProvider';
import { SignedOutNotice } from '../components/auth/SignedOutNotice';
import { BottomSheet } from '../components/BottomSheet';
import { PageHeading } from '../components/PageHeading';
import { usePhoneLayout } from '../components/usePhoneLayout';
import { BetCard } from '../components/flash/BetCard';
import { FlashTicker } from '../components/flash/FlashTicker';
import { LiveGames } from '../components/flash/LiveGames';
import { MicroBetting } from '../components/flash/MicroBetting';
import { MyFlashBets } from '../components/flash/MyFlashBets';
import { ResponsibleGamingControls } from '../components/flash/ResponsibleGaming';
import { useFlashTicker, useNow } from '../components/flash/flashHooks';
import '../components/flash/flash.css';

const LIVE_MODE_KEY = 'godark.flash.liveMode';

function storedLiveMode(): boolean {
  try {
    return window.localStorage.getItem(LIVE_MODE_KEY) !== 'off';
  } catch {
    return true;
  }
}

/** Live Mode: the ticker streams odds as they move; off, it holds still. The choice persists. */
function LiveModeToggle({ live, onChange }: { live: boolean; onChange: (live: boolean) => void }) {
  return (
    <button
      type="button"
      className={`btn live-mode${live ? ' live-mode-on' : ''}`}
      aria-pressed={live}
      data-testid="live-mode-toggle"
      onClick={() => onChange(!live)}
    >
      <span className="status-dot" aria-hidden="true" />
      Live Mode {live ? 'on' : 'off'}
    </button>
  );
}

export function FlashPage() {
  const [live, setLive] = useState(storedLiveMode);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const { entries, error } = useFlashTicker(live);
  const now = useNow();
  const signedIn = useSession() !== null;
  const selected = entries.find((entry) => entry.market.id === selectedId)?.market ?? null;
  // On a phone the card is a modal sheet at the bottom edge, beside the market tapped
  // (the side column comes after the whole ticker there).
  const phone = usePhoneLayout();
  const close = () => setSelectedId(null);

  const changeLive = (next: boolean) => {
    setLive(next);
    try {
      window.localStorage.setItem(LIVE_MODE_KEY, next ? 'on' : 'off');
    } catch {
      // Private browsing: the choice lasts for this page only.
    }
  };

  return (
    <>
      <PageHeading
        title="Flash"
        description="Sub-minute markets on live games, priced by a time-decaying AMM. Bets close at the countdown; winners are paid within seconds."
      />
      <div className="flash-toolbar">
        <LiveModeToggle live={live} onChange={changeLive} />
        <ResponsibleGamingControls />
      </div>
      <div className="flash-grid">
        <FlashTicker
          entries={entries}
          error={error}
          live={live}
          now={now}
          selectedId={selectedId}
          onSelect={setSelectedId}
        />
        <div className="flash-side">
          {selected ? (
            signedIn ? (
              phone ? (
                <BottomSheet label={`Bet · ${selected.title}`} onClose={close} testId="flash-bet-sheet">
                  <BetCard key={selected.id} market={selected} now={now} />
                </BottomSheet>
              ) : (
                <BetCard key={selected.id} market={selected} now={now} onClose={close} />
              )
            ) : (
              <SignedOutNotice title={`Bet · ${selected.title}`} purpose="bet" testId="flash-bet-signed-out" />
            )
          ) : (
            <section className="card flash-bet-hint">
              <p className="muted">Choose Bet on a market to see a quote before you confirm.</p>
            </section>
          )}
          {signedIn ? <MyFlashBets /> : null}
        </div>
      </div>
      {signedIn ? (
        <MicroBetting now={now} />
      ) : (
        <SignedOutNotice title="Micro-bets" purpose="open a micro-betting session" testId="micro-signed-out" />
      )}
      <LiveGames />
    </>
  );
}

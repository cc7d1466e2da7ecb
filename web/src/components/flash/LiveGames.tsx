import { useId, useRef, useState, type KeyboardEvent } from 'react';
import { LiveEventsQuery, type Sport } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { usePolledQuery } from '../markets/hooks';
import { compareGames, SPORT_TABS } from './format';
import { GameCard } from './GameCard';

const REFRESH_MS = 2_000;

/** Live games by sport (tabs), refreshed every 2 s. */
export function LiveGames() {
  const id = useId();
  const [sport, setSport] = useState<Sport | null>(null);
  const tabRefs = useRef<Array<HTMLButtonElement | null>>([]);
  const { data, error } = usePolledQuery(LiveEventsQuery, () => ({ sport }), REFRESH_MS, sport ?? 'ALL');
  const games = data ? [...data.liveEvents].sort(compareGames) : undefined;
  const selectedIndex = SPORT_TABS.findIndex((tab) => tab.id === sport);

  // Tabs pattern: arrow keys, Home and End move (and select); Tab leaves the list.
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const last = SPORT_TABS.length - 1;
    const next: Record<string, number> = {
      ArrowRight: selectedIndex === last ? 0 : selectedIndex + 1,
      ArrowLeft: selectedIndex === 0 ? last : selectedIndex - 1,
      Home: 0,
      End: last,
    };
    const index = next[event.key];
    if (index === undefined) return;
    event.preventDefault();
    setSport(SPORT_TABS[index]?.id ?? null);
    tabRefs.current[index]?.focus();
  };

  const panelId = `${id}-panel`;
  const tabLabel = SPORT_TABS[selectedIndex]?.label ?? 'All';

  return (
    <section className="live-games" aria-labelledby={`${id}-title`}>
      <div className="live-games-header">
        <h2 id={`${id}-title`}>Live games</h2>
        <div className="tabs" role="tablist" aria-label="Sport" onKeyDown={onKeyDown}>
          {SPORT_TABS.map((tab, index) => {
            const selected = tab.id === sport;
            return (
              <button
                key={tab.label}
                ref={(element) => {
                  tabRefs.current[index] = element;
                }}
                type="button"
                role="tab"
                id={`${id}-tab-${tab.label}`}
                aria-selected={selected}
                aria-controls={panelId}
                tabIndex={selected ? 0 : -1}
                data-testid={`sport-tab-${tab.id ?? 'ALL'}`}
                onClick={() => setSport(tab.id)}
              >
                {tab.label}
              </button>
            );
          })}
        </div>
        <span className="muted small">
          {games ? `${games.length} game${games.length === 1 ? '' : 's'} · ` : ''}odds from the provider quorum, every 2 s
        </span>
      </div>
      <div id={panelId} role="tabpanel" aria-labelledby={`${id}-tab-${tabLabel}`}>
        {error ? <ErrorMessage error={error} context="Live games" /> : null}
        {games === undefined ? (
          error ? null : <p className="muted">Loading games…</p>
        ) : games.length === 0 ? (
          <p className="muted">No {sport ? `${tabLabel.toLowerCase()} ` : ''}games in play right now.</p>
        ) : (
          <div className={error ? 'games-grid stale' : 'games-grid'}>
            {games.map((game) => (
              <GameCard key={game.id} event={game} />
            ))}
          </div>
        )}
      </div>
    </section>
  );
}

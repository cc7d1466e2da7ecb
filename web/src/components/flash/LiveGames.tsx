import { useId, useRef, useState, type KeyboardEvent } from 'react';
import { LiveEventSubscription, LiveEventsQuery, type LiveEvent, type Sport } from '../../graphql/operations';
import { ErrorMessage } from '../ErrorMessage';
import { SAFETY_NET_MS, useLatestEach, usePolledQuery } from '../markets/hooks';
import { compareGames, SPORT_TABS } from './format';
import { GameCard } from './GameCard';

// Issue #8: the list (games starting and ending) is re-read every 30 s; each listed
// game's score, clock and prices come from its `liveEvent` subscription.
const LIST_REFRESH_MS = SAFETY_NET_MS;
const gameVariables = (id: string) => ({ id });
const gameOf = (data: { liveEvent: LiveEvent }) => data.liveEvent;

/** The newer of the listed and the streamed copy of a game. */
function newer(listed: LiveEvent, streamed: LiveEvent | undefined): LiveEvent {
  if (streamed === undefined) return listed;
  return Date.parse(streamed.updatedAt) >= Date.parse(listed.updatedAt) ? streamed : listed;
}

/** Live games by sport (tabs), live by subscription. */
export function LiveGames() {
  const id = useId();
  const [sport, setSport] = useState<Sport | null>(null);
  const tabRefs = useRef<Array<HTMLButtonElement | null>>([]);
  const { data, error } = usePolledQuery(LiveEventsQuery, () => ({ sport }), LIST_REFRESH_MS, sport ?? 'ALL');
  const streamed = useLatestEach(
    LiveEventSubscription,
    data?.liveEvents.map((game) => game.id) ?? [],
    gameVariables,
    gameOf,
  );
  const games = data
    ? data.liveEvents.map((game) => newer(game, streamed.get(game.id))).sort(compareGames)
    : undefined;
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
          {games ? `${games.length} game${games.length === 1 ? '' : 's'} · ` : ''}odds from the provider quorum, live
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

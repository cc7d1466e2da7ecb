import { useSyncExternalStore } from 'react';

/** Basic (retail) or Advanced (professional) trading interface; seed 004 §9. */
export type TradeMode = 'basic' | 'advanced';

const STORAGE_KEY = 'godark.tradeMode';
const listeners = new Set<() => void>();

function read(): TradeMode {
  try {
    return window.localStorage.getItem(STORAGE_KEY) === 'advanced' ? 'advanced' : 'basic';
  } catch {
    return 'basic'; // storage disabled: the default each visit
  }
}

export function setTradeMode(mode: TradeMode): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, mode);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
  current = mode;
  listeners.forEach((listener) => listener());
}

let current: TradeMode | null = null;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key === STORAGE_KEY) {
      current = read();
      listener();
    }
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

function snapshot(): TradeMode {
  if (current === null) current = read();
  return current;
}

/** The persisted mode (localStorage), shared by every tab of this browser. */
export function useTradeMode(): TradeMode {
  return useSyncExternalStore(subscribe, snapshot, () => 'basic');
}

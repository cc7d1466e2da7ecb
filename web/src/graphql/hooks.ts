import { useEffect, useState, useSyncExternalStore } from 'react';
import { useClient, type CombinedError } from 'urql';
import {
  getConnectionStatus,
  subscribeConnectionStatus,
  type ConnectionStatus,
} from './client';
import { HeartbeatSubscription, type Heartbeat } from './operations';

export function useConnectionStatus(): ConnectionStatus {
  return useSyncExternalStore(subscribeConnectionStatus, getConnectionStatus, getConnectionStatus);
}

const RESUBSCRIBE_DELAY_MS = 3_000;

/**
 * Latest heartbeat from the live subscription. graphql-ws already resubscribes
 * across reconnects; if the subscription itself fails it is restarted here.
 */
export function useHeartbeat(): { heartbeat: Heartbeat | null; error: CombinedError | null } {
  const client = useClient();
  const [heartbeat, setHeartbeat] = useState<Heartbeat | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);

  useEffect(() => {
    let active = true;
    let unsubscribe: (() => void) | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const start = (): void => {
      if (!active) return;
      let failed = false;
      const subscription = client.subscription(HeartbeatSubscription, {}).subscribe((result) => {
        if (result.error) {
          if (failed) return;
          failed = true;
          setError(result.error);
          retryTimer = setTimeout(() => {
            unsubscribe?.();
            start();
          }, RESUBSCRIBE_DELAY_MS);
        } else if (result.data) {
          setHeartbeat(result.data.heartbeat);
          setError(null);
        }
      });
      unsubscribe = () => subscription.unsubscribe();
    };

    start();
    return () => {
      active = false;
      clearTimeout(retryTimer);
      unsubscribe?.();
    };
  }, [client]);

  return { heartbeat, error };
}

import { useSyncExternalStore } from 'react';

/** Keep in step with the phone section of styles.css (`@media (max-width: 640px)`). */
export const PHONE_QUERY = '(max-width: 640px)';

function subscribe(listener: () => void): () => void {
  const query = window.matchMedia(PHONE_QUERY);
  query.addEventListener('change', listener);
  return () => query.removeEventListener('change', listener);
}

function getSnapshot(): boolean {
  return window.matchMedia(PHONE_QUERY).matches;
}

/**
 * True on a phone-sized viewport, where order tickets live in a bottom sheet rather than
 * beside the chart. Follows rotation and window resizing.
 */
export function usePhoneLayout(): boolean {
  return useSyncExternalStore(subscribe, getSnapshot, () => false);
}

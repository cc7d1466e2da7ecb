import { useQuery } from 'urql';
import { ServerInfoQuery, type ServerInfo } from './operations';

/** Server info from the shared cache (the status bar keeps it fresh). */
export function useServerInfo(): ServerInfo | undefined {
  const [result] = useQuery({ query: ServerInfoQuery });
  return result.data?.serverInfo;
}

export function useIsDemoServer(): boolean {
  return useServerInfo()?.mode === 'DEMO';
}

/**
 * The Terms of Service version a newcomer accepts. serverInfo does not publish
 * it (yet), so the client names the current version.
 */
export const TERMS_VERSION = '2026-11-01';

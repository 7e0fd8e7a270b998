import { createContext, useContext } from 'react';
import type { Api, Whoami } from './api/client';

/** The signed-in key: the typed client that sends it, and what the server says of it (GET /v1/whoami). */
export interface Session {
  api: Api;
  who: Whoami;
  /** whether the key's role may call an operation (by its operationId) */
  may: (operationId: string) => boolean;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (s === undefined) throw new Error('useSession outside a signed-in console');
  return s;
}

import { useEffect, useState } from 'react';

/**
 * The console's pages by path under /console, with the History API (the server answers
 * index.html for each of them): `/console/campaigns`, `/console/campaigns/<id>`,
 * `/console/runs`, `/console/results`, `/console/audit`, `/console/customers`, `/console/customers/<id>`,
 * `/console/privacy`,
 * `/console/campaigns/new`, `/console/campaigns/<id>/edit` (the campaign editor),
 * `/console/segments`, `/console/segments/<id>`, `/console/segments/new` (a segment not saved yet: no id).
 */

export const BASE = '/console';

export type Route =
  | { page: 'campaigns' }
  | { page: 'campaign'; id: string }
  | { page: 'campaign-new' }
  | { page: 'campaign-edit'; id: string }
  | { page: 'runs' }
  | { page: 'results' }
  | { page: 'audit' }
  | { page: 'privacy' }
  | { page: 'customers'; id?: string }
  | { page: 'segments' }
  | { page: 'segment'; id?: string };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const [, section, id, sub] = rest.split('/').map((s) => decodeURIComponent(s));
  if (section === 'campaigns' && id === 'new' && sub === undefined) return { page: 'campaign-new' };
  if (section === 'campaigns' && id !== undefined && id !== '' && sub === 'edit') return { page: 'campaign-edit', id };
  if (section === 'runs') return { page: 'runs' };
  if (section === 'results') return { page: 'results' };
  if (section === 'audit') return { page: 'audit' };
  if (section === 'privacy') return { page: 'privacy' };
  if (section === 'customers') return id === undefined || id === '' ? { page: 'customers' } : { page: 'customers', id };
  if (section === 'segments') return id === undefined || id === '' ? { page: 'segments' } : id === 'new' ? { page: 'segment' } : { page: 'segment', id };
  if (section === 'campaigns' && id !== undefined && id !== '') return { page: 'campaign', id };
  return { page: 'campaigns' };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'campaigns':
      return `${BASE}/campaigns`;
    case 'campaign':
      return `${BASE}/campaigns/${encodeURIComponent(route.id)}`;
    case 'campaign-new':
      return `${BASE}/campaigns/new`;
    case 'campaign-edit':
      return `${BASE}/campaigns/${encodeURIComponent(route.id)}/edit`;
    case 'runs':
      return `${BASE}/runs`;
    case 'results':
      return `${BASE}/results`;
    case 'audit':
      return `${BASE}/audit`;
    case 'privacy':
      return `${BASE}/privacy`;
    case 'customers':
      return route.id === undefined ? `${BASE}/customers` : `${BASE}/customers/${encodeURIComponent(route.id)}`;
    case 'segments':
      return `${BASE}/segments`;
    case 'segment':
      return route.id === undefined ? `${BASE}/segments/new` : `${BASE}/segments/${encodeURIComponent(route.id)}`;
  }
}

export function navigate(route: Route): void {
  window.history.pushState(null, '', hrefOf(route));
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const on = (): void => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return route;
}

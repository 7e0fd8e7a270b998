import type { Campaign, Catalog } from '../catalog/compiled-catalog.js';
import type { PartnerDef, PlaceDef } from '../catalog/definition-schema.js';
import type { GatewayEvent } from '../gateway-event.js';
import type { LatLon } from '../geo.js';
import { distanceM } from '../geo.js';

export interface Nearby {
  partner: PartnerDef;
  place?: PlaceDef;
  origin: LatLon;
  distance: number;
}

export function findNearby(c: Campaign, event: GatewayEvent, catalog: Catalog): Nearby | undefined {
  if (c.near === undefined || event.location === undefined) return undefined;
  const place = event.location.place === undefined ? undefined : catalog.places.get(event.location.place);
  const origin: LatLon = { lat: event.location.lat, lon: event.location.lon };
  let best: Nearby | undefined;
  for (const partner of c.near.partners) {
    const d = distanceM(origin, partner);
    if (d <= c.near.radiusM && (best === undefined || d < best.distance)) {
      best = place === undefined ? { partner, origin, distance: d } : { partner, place, origin, distance: d };
    }
  }
  return best;
}

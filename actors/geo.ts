/** Distances and walking directions between two points on the map. Pure. */

export interface LatLon {
  lat: number;
  lon: number;
}

const EARTH_RADIUS_M = 6_371_000;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle distance in metres. */
export function distanceM(a: LatLon, b: LatLon): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from a to b, degrees clockwise from north, 0..360. */
export function bearingDeg(a: LatLon, b: LatLon): number {
  const y = Math.sin(rad(b.lon - a.lon)) * Math.cos(rad(b.lat));
  const x = Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) - Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(rad(b.lon - a.lon));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

const directionsRu = ['на север', 'на северо-восток', 'на восток', 'на юго-восток', 'на юг', 'на юго-запад', 'на запад', 'на северо-запад'];

/** The compass direction in Russian, for an SMS: "на северо-восток". */
export function directionRu(bearing: number): string {
  return directionsRu[Math.round(bearing / 45) % 8] ?? 'на север';
}

/** Walking time at 4.8 km/h (80 m a minute) along streets, taken as 1.3 x the straight line. */
export function walkingMinutes(straightM: number): number {
  return Math.max(1, Math.round((straightM * 1.3) / 80));
}

/** A pedestrian route on Yandex Maps from a to b, to put in an SMS. */
export function walkingRouteUrl(a: LatLon, b: LatLon): string {
  const f = (n: number): string => n.toFixed(6);
  return `https://yandex.ru/maps/?rtext=${f(a.lat)},${f(a.lon)}~${f(b.lat)},${f(b.lon)}&rtt=pd`;
}

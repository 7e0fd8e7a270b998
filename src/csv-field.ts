/**
 * One field of an RFC 4180 CSV line: quoted (its quotes doubled) when it holds a quote, a
 * comma or a line break; absent (undefined) as an empty field. The CSV files Kairos writes
 * (the funnel, segment members, import rejects, a wave's call list) all go through it.
 */
export function csvField(v: string | number | boolean | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

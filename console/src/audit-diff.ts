/**
 * The difference between an audit entry's `before` and `after`: each changed field (nested
 * objects flattened to dotted paths), with its value before and after as JSON; a field absent
 * on one side is `undefined` there. Both sides not objects: one change at the path ''.
 */
export interface FieldChange {
  path: string;
  before: string | undefined;
  after: string | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function flatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (isObject(v) && Object.keys(v).length > 0) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix === '' ? k : `${prefix}.${k}`, out);
    return;
  }
  if (v === undefined) return;
  out.set(prefix, JSON.stringify(v));
}

export function auditDiff(before: unknown, after: unknown): FieldChange[] {
  const b = new Map<string, string>();
  const a = new Map<string, string>();
  flatten(before, '', b);
  flatten(after, '', a);
  const paths = [...new Set([...b.keys(), ...a.keys()])];
  return paths.filter((p) => b.get(p) !== a.get(p)).map((path) => ({ path, before: b.get(path), after: a.get(path) }));
}

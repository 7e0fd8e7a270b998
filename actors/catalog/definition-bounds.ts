import { invalidAt } from '../brain-error.js';

/**
 * Bounds on the shape of a catalog definition as a whole, checked before anything else reads
 * it: every part of the catalog is walked, copied and stored by code that recurses, so a
 * value nested thousands of levels deep (3,000 nested lists in an unknown field) would
 * overflow the stack where it is cloned or encoded, and a YAML file's aliases can make a
 * small text a very large tree. The depth leaves room for rules nested as deep as a rule may
 * be (MAX_CONDITION_DEPTH levels of `all`/`any`, two per level, under a campaign's group).
 */
export const MAX_DEFINITION_DEPTH = 100;
/** Values in a definition (lists, maps and scalars, an aliased YAML node counted each time it is used). */
export const MAX_DEFINITION_NODES = 1_000_000;

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number;
}

function pathOf(frame: Frame, root: string): string {
  const keys: Array<string | number> = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) keys.push(f.key);
  let path = root;
  for (const key of keys.reverse()) path = typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
  return path === '' ? 'catalog' : path;
}

/**
 * Throws an invalid-definition BrainError naming the first place where `value` nests deeper than
 * {@link MAX_DEFINITION_DEPTH} levels (the value itself is level 1), or when it holds more
 * than {@link MAX_DEFINITION_NODES} values. Walks without recursion, so any depth is safe,
 * and stops at the bound, so a cyclic value is refused too.
 */
export function checkDefinitionBounds(value: unknown, root = ''): void {
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: '' }];
  let nodes = 1;
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const v = frame.value;
    if (typeof v !== 'object' || v === null) continue;
    if (frame.depth >= MAX_DEFINITION_DEPTH) throw invalidAt(pathOf(frame, root), `nests deeper than ${MAX_DEFINITION_DEPTH} levels`);
    const keys: Array<string | number> = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    nodes += keys.length;
    if (nodes > MAX_DEFINITION_NODES) throw invalidAt(pathOf(frame, root), `the definition holds more than ${MAX_DEFINITION_NODES} values`);
    // Pushed in reverse, so the first problem in reading order is the one named.
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string | number;
      stack.push({ value: (v as Record<string | number, unknown>)[key], depth: frame.depth + 1, parent: frame, key });
    }
  }
}

import { readFileSync } from 'node:fs';
import { LineCounter, YAMLParseError, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { CatalogDef } from '../../actors/index.js';
import { MAX_DEFINITION_DEPTH, invalidAt } from '../../actors/index.js';

/**
 * Catalog files: the catalog as YAML (or JSON, which is YAML), the form a marketer reads and
 * reviews. Syntax errors name the line; everything else is checked by compileCatalog.
 *
 * What a text may hold is bounded before it becomes a value, so no text makes the parser
 * stall or overflow the stack: its length, how deep it nests, and how many aliases (`*name`)
 * it uses (each alias can stand for a whole subtree: a few lines of aliases to aliases, the
 * "billion laughs", would expand to billions of values). Repeated keys are found in one pass
 * (the parser's own check compares every key of a map with every other).
 */

/** The longest catalog text read, in characters (the admin API's body limit is lower). */
export const MAX_CATALOG_TEXT_LENGTH = 16 * 1024 * 1024;
/** The most aliases (`*name`) a catalog text may use. */
export const MAX_CATALOG_ALIASES = 100;

export function parseCatalogText(text: string, source: string): CatalogDef {
  if (text.length > MAX_CATALOG_TEXT_LENGTH) throw invalidAt(source, `is ${text.length} characters long; a catalog may be at most ${MAX_CATALOG_TEXT_LENGTH}`);
  const lineCounter = new LineCounter();
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return source;
    const pos = lineCounter.linePos(offset);
    return `${source}:${pos.line}:${pos.col}`;
  };
  let doc;
  try {
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: true, lineCounter, logLevel: 'error' });
  } catch (err) {
    if (err instanceof RangeError) throw invalidAt(source, `nests deeper than ${MAX_DEFINITION_DEPTH} levels`);
    throw err;
  }
  const error = doc.errors[0];
  if (error !== undefined) {
    const pos = error.linePos?.[0];
    const where = pos === undefined ? source : `${source}:${pos.line}:${pos.col}`;
    // The parser reports its own stack overflow as a syntax error at the place it gave up.
    if (error.message.includes('Maximum call stack size exceeded')) throw invalidAt(where, `nests deeper than ${MAX_DEFINITION_DEPTH} levels`);
    throw invalidAt(where, error.message.split('\n')[0] ?? 'not valid YAML');
  }
  checkNodes(doc.contents, at);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_CATALOG_ALIASES });
  } catch (err) {
    // Aliases the parser refuses to expand (too many, counting the aliases inside what they stand for).
    if (err instanceof ReferenceError && err.message.startsWith('Excessive alias count')) throw invalidAt(source, 'its aliases expand to too many values');
    if (err instanceof YAMLParseError || err instanceof ReferenceError || err instanceof RangeError) throw invalidAt(source, err.message.split('\n')[0] ?? 'not valid YAML');
    throw err;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidAt(source, 'must hold one catalog (a map)');
  return value as CatalogDef;
}

/**
 * Walks the parsed document without recursion, in reading order: refuses nesting deeper than
 * a definition may nest, more than {@link MAX_CATALOG_ALIASES} aliases, an alias to an
 * anchor not set before it, and a key repeated in a map.
 */
function checkNodes(root: unknown, at: (offset: number | undefined) => string): void {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 1 }];
  const anchors = new Set<string>();
  let aliases = 0;
  const offset = (node: unknown): number | undefined => (node as { range?: readonly number[] | null }).range?.[0];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { node, depth } = frame;
    if (node === null || node === undefined) continue;
    if (isAlias(node)) {
      aliases++;
      if (aliases > MAX_CATALOG_ALIASES) throw invalidAt(at(offset(node)), `uses more than ${MAX_CATALOG_ALIASES} aliases`);
      if (!anchors.has(node.source)) throw invalidAt(at(offset(node)), `alias *${node.source} names no anchor set before it`);
      continue;
    }
    if (isPair(node)) {
      stack.push({ node: node.value, depth }, { node: node.key, depth });
      continue;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) continue;
    if (node.anchor !== undefined) anchors.add(node.anchor);
    if (isScalar(node)) continue;
    if (depth >= MAX_DEFINITION_DEPTH) throw invalidAt(at(offset(node)), `nests deeper than ${MAX_DEFINITION_DEPTH} levels`);
    if (isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (keys.has(key)) throw invalidAt(at(offset(pair.key)), `Map keys must be unique: "${key}" is repeated`);
        keys.add(key);
      }
    }
    const items = node.items as unknown[];
    for (let i = items.length - 1; i >= 0; i--) stack.push({ node: items[i], depth: depth + 1 });
  }
}

export function loadCatalogFile(path: string): CatalogDef {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw invalidAt(path, `cannot be read: ${(err as Error).message}`);
  }
  return parseCatalogText(text, path);
}

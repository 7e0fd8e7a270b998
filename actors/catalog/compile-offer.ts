import { invalidAt } from '../brain-error.js';
import { channels, isChannel } from './channels.js';
import type { Offer } from './compiled-catalog.js';
import type { OfferDef } from './definition-schema.js';
import { isRecord, requireId, requireNumber, requireString } from './field-checks.js';

export function compileOffer(raw: unknown, path: string): OfferDef & { compiled: Offer } {
  if (!isRecord(raw)) throw invalidAt(path, 'must be an offer definition');
  const id = requireId(raw.id, `${path}.id`);
  const name = requireString(raw.name, `${path}.name`);
  const value = requireNumber(raw.value, `${path}.value`, 0, 1e12);
  const params: Record<string, string | number> = {};
  if (raw.params !== undefined) {
    if (!isRecord(raw.params)) throw invalidAt(`${path}.params`, 'must be a map of names to text or numbers');
    for (const [k, v] of Object.entries(raw.params)) {
      if (typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v))) {
        throw invalidAt(`${path}.params.${k}`, 'must be text or a number');
      }
      params[k] = v;
    }
  }
  if (!isRecord(raw.templates) || Object.keys(raw.templates).length === 0) {
    throw invalidAt(`${path}.templates`, 'must hold at least one channel template');
  }
  for (const ch of Object.keys(raw.templates)) {
    if (!isChannel(ch)) throw invalidAt(`${path}.templates.${ch}`, `unknown channel (known: ${channels.join(', ')})`);
  }
  const replies = new Map<string, string>();
  if (raw.replies !== undefined) {
    if (!isRecord(raw.replies)) throw invalidAt(`${path}.replies`, 'must map reply texts to outcomes');
    for (const [text, outcome] of Object.entries(raw.replies)) {
      replies.set(text.trim().toLowerCase(), requireString(outcome, `${path}.replies.${text}`));
    }
  }
  const buttonOutcomes: Record<string, string> = {};
  if (raw.buttonOutcomes !== undefined) {
    if (!isRecord(raw.buttonOutcomes)) throw invalidAt(`${path}.buttonOutcomes`, 'must map button ids to outcomes');
    for (const [b, outcome] of Object.entries(raw.buttonOutcomes)) {
      buttonOutcomes[b] = requireString(outcome, `${path}.buttonOutcomes.${b}`);
    }
  }
  const group = raw.group === undefined ? id : requireId(raw.group, `${path}.group`);
  const lever = raw.lever === undefined ? 1 : requireNumber(raw.lever, `${path}.lever`, 0, 1000);
  const compiled: Offer = { id, name, value, params, replies, buttonOutcomes, group, lever };
  if (raw.onAccept !== undefined) {
    if (!isRecord(raw.onAccept)) throw invalidAt(`${path}.onAccept`, 'must be {action}');
    compiled.onAccept = { action: requireId(raw.onAccept.action, `${path}.onAccept.action`) };
  }
  return { ...(raw as unknown as OfferDef), compiled };
}

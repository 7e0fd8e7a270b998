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
    // A response names the button pressed: a key that is no button of the offer's screens would never be named.
    const buttons = buttonIds(raw.templates);
    for (const [b, outcome] of Object.entries(raw.buttonOutcomes)) {
      if (!buttons.includes(b)) {
        throw invalidAt(`${path}.buttonOutcomes.${b}`, buttons.length === 0 ? "is no button of the offer's templates (they have none)" : `is no button of the offer's templates (its buttons: ${buttons.join(', ')})`);
      }
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

/** The ids of the buttons an offer's templates show (screens and push), each once, in their order. */
function buttonIds(templates: Record<string, unknown>): string[] {
  const ids = new Set<string>();
  for (const tpl of Object.values(templates)) {
    if (!isRecord(tpl) || !Array.isArray(tpl.buttons)) continue;
    for (const b of tpl.buttons as unknown[]) if (isRecord(b) && typeof b.id === 'string') ids.add(b.id);
  }
  return [...ids];
}

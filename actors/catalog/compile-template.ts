import { invalidAt } from '../brain-error.js';
import { smsLength } from '../sms-length.js';
import { compileTemplate } from '../template.js';
import type { Channel, ChannelKind } from './channels.js';
import { channelKind } from './channels.js';
import type { ChannelTemplate } from './compiled-catalog.js';
import type { OfferDef, TemplateDef } from './definition-schema.js';
import { isRecord, requireId, requireList, requireString } from './field-checks.js';

const customerVariables = new Set(['firstName', 'patronymic', 'lastName', 'name', 'fullName', 'age']);
const partnerVariables = new Set(['name', 'address', 'note', 'distance', 'minutes', 'direction', 'route']);
const placeVariables = new Set(['name', 'address']);
const expiresVariables = new Set(['date', 'time']);

export interface TemplateScope {
  offer: OfferDef;
  vars: ReadonlySet<string>;
  near: boolean;
}

function variableChecker(scope: TemplateScope): (variable: string) => string | undefined {
  return (variable) => {
    const [root, ...rest] = variable.split('.');
    const name = rest.join('.');
    switch (root) {
      case 'customer':
        if (rest[0] === 'attributes' && rest.length > 1) return undefined;
        return customerVariables.has(name) ? undefined : `customer has ${[...customerVariables].join(', ')}, attributes.<name>`;
      case 'offer':
        if (name === 'name' || name === 'value') return undefined;
        return scope.offer.params !== undefined && Object.hasOwn(scope.offer.params, name)
          ? undefined
          : `offer "${scope.offer.id}" has name, value and params ${Object.keys(scope.offer.params ?? {}).join(', ') || '(none)'}`;
      case 'vars':
        return scope.vars.has(name) ? undefined : `the campaign defines vars ${[...scope.vars].join(', ') || '(none)'}`;
      case 'partner':
        if (!scope.near) return 'partner variables need a trigger with "near"';
        return partnerVariables.has(name) ? undefined : `partner has ${[...partnerVariables].join(', ')}`;
      case 'place':
        if (!scope.near) return 'place variables need a trigger with "near"';
        return placeVariables.has(name) ? undefined : `place has ${[...placeVariables].join(', ')}`;
      case 'expires':
        return expiresVariables.has(name) ? undefined : 'expires has date, time';
      case 'event':
        return rest[0] === 'data' && rest.length > 1 ? undefined : 'use event.data.<field>';
      default:
        return 'roots are customer, offer, vars, partner, place, expires, event';
    }
  };
}

const fieldsByKind: Record<ChannelKind, { required: Array<keyof TemplateDef>; optional: Array<keyof TemplateDef> }> = {
  sms: { required: ['text'], optional: [] },
  email: { required: ['subject', 'text'], optional: ['html'] },
  push: { required: ['title', 'text'], optional: ['buttons'] },
  screen: { required: ['title', 'text'], optional: ['buttons'] },
  operator: { required: ['script'], optional: [] },
};

export function compileChannelTemplate(raw: unknown, channel: Channel, path: string, scope: TemplateScope, maxSmsParts: number): ChannelTemplate {
  if (!isRecord(raw)) throw invalidAt(path, `the offer has no template for channel "${channel}"`);
  const kind = channelKind(channel);
  const { required, optional } = fieldsByKind[kind];
  for (const key of Object.keys(raw)) {
    if (!required.includes(key as keyof TemplateDef) && !optional.includes(key as keyof TemplateDef)) {
      throw invalidAt(`${path}.${key}`, `a ${channel} template has ${[...required, ...optional].join(', ')}`);
    }
  }
  const check = variableChecker(scope);
  const out: ChannelTemplate = { channel, kind, buttons: [] };
  for (const field of ['title', 'text', 'subject', 'html', 'script'] as const) {
    if (raw[field] !== undefined) out[field] = compileTemplate(raw[field], `${path}.${field}`, check);
    else if (required.includes(field)) throw invalidAt(`${path}.${field}`, `a ${channel} template needs ${field}`);
  }
  if (raw.buttons !== undefined) {
    out.buttons = requireList(raw.buttons, `${path}.buttons`).map((b, i) => {
      if (!isRecord(b)) throw invalidAt(`${path}.buttons[${i}]`, 'must be {id, label}');
      return { id: requireId(b.id, `${path}.buttons[${i}].id`), label: requireString(b.label, `${path}.buttons[${i}].label`) };
    });
  }
  if (kind === 'sms' && out.text !== undefined) {
    const fixed = out.text.parts.filter((p): p is string => typeof p === 'string').join('');
    const parts = smsLength(fixed).parts;
    if (parts > maxSmsParts) {
      throw invalidAt(`${path}.text`, `the fixed text alone takes ${parts} SMS parts; the campaign allows ${maxSmsParts}`);
    }
  }
  return out;
}

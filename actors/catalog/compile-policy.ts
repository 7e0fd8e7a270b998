import { invalidAt } from '../brain-error.js';
import { isValidTimeZone, parseClock } from '../local-time.js';
import type { Channel } from './channels.js';
import { channels, isChannel } from './channels.js';
import type { Cap, Hours, Learning, Policy, Recency, Suppression } from './compiled-catalog.js';
import { isRecord, parseDuration, requireList, requireNumber, requireString } from './field-checks.js';

export function compileChannelList(raw: unknown, path: string): Set<Channel> {
  return new Set(
    requireList(raw, path).map((c, i) => {
      if (!isChannel(c)) throw invalidAt(`${path}[${i}]`, `unknown channel (known: ${channels.join(', ')})`);
      return c;
    }),
  );
}

export function compileHours(raw: unknown, path: string): Hours {
  if (!isRecord(raw)) throw invalidAt(path, 'must be {from: "HH:MM", to: "HH:MM"}');
  const from = typeof raw.from === 'string' ? parseClock(raw.from) : undefined;
  const to = typeof raw.to === 'string' ? parseClock(raw.to) : undefined;
  if (from === undefined) throw invalidAt(`${path}.from`, 'must be "HH:MM"');
  if (to === undefined) throw invalidAt(`${path}.to`, 'must be "HH:MM"');
  if (from === to) throw invalidAt(path, 'from and to are the same minute');
  return { from, to };
}

export function compileRecency(raw: unknown, path: string): Recency {
  if (!isRecord(raw)) throw invalidAt(path, 'must be {sameOfferDays, sameCampaignDays, afterDeclineDays}');
  const days = (field: string): number => requireNumber(raw[field], `${path}.${field}`, 0, 3650) * 86_400_000;
  return { sameOfferMs: days('sameOfferDays'), sameCampaignMs: days('sameCampaignDays'), afterDeclineMs: days('afterDeclineDays') };
}

export function compileSuppression(raw: unknown, path: string): Suppression {
  if (!isRecord(raw)) throw invalidAt(path, 'must be {declines, withinDays, pauseDays, scope?}');
  if (raw.scope !== undefined && raw.scope !== 'offer' && raw.scope !== 'group') throw invalidAt(`${path}.scope`, 'must be "offer" or "group"');
  return {
    declines: requireNumber(raw.declines, `${path}.declines`, 1, 1000),
    withinMs: requireNumber(raw.withinDays, `${path}.withinDays`, 1, 3650) * 86_400_000,
    pauseMs: requireNumber(raw.pauseDays, `${path}.pauseDays`, 0, 3650) * 86_400_000,
    scope: raw.scope ?? 'offer',
  };
}

export function compileLearning(raw: unknown, path: string): Learning {
  const l = raw ?? {};
  if (!isRecord(l)) throw invalidAt(path, 'must be {models?, modelEvidence?, exploration?, randomPercent?, bits?, halfLife?, belowFloor?, figureAnswers?, figureOutcomes?}');
  if (l.models !== undefined && typeof l.models !== 'boolean') throw invalidAt(`${path}.models`, 'must be true or false');
  if (l.belowFloor !== undefined && typeof l.belowFloor !== 'boolean') throw invalidAt(`${path}.belowFloor`, 'must be true or false');
  if (l.exploration !== undefined && l.exploration !== 'thompson' && l.exploration !== 'none') {
    throw invalidAt(`${path}.exploration`, 'must be "thompson" or "none"');
  }
  return {
    models: l.models !== false,
    modelEvidence: l.modelEvidence === undefined ? 1000 : requireNumber(l.modelEvidence, `${path}.modelEvidence`, 1, 1e9),
    exploration: l.exploration ?? 'thompson',
    randomShare: (l.randomPercent === undefined ? 2 : requireNumber(l.randomPercent, `${path}.randomPercent`, 0, 100)) / 100,
    bits: l.bits === undefined ? 14 : requireNumber(l.bits, `${path}.bits`, 8, 22),
    halfLife: l.halfLife === undefined ? 2000 : requireNumber(l.halfLife, `${path}.halfLife`, 0, 1e9),
    belowFloor: l.belowFloor !== false,
    figureAnswers: l.figureAnswers === undefined ? 200 : requireNumber(l.figureAnswers, `${path}.figureAnswers`, 1, 1e9),
    figureOutcomes: l.figureOutcomes === undefined ? 20 : requireNumber(l.figureOutcomes, `${path}.figureOutcomes`, 1, 1e9),
  };
}

export function compilePolicy(raw: unknown): Policy {
  const path = 'policy';
  if (!isRecord(raw)) throw invalidAt(path, 'must be the contact policy');
  const tz = requireString(raw.defaultTimezone, `${path}.defaultTimezone`);
  if (!isValidTimeZone(tz)) throw invalidAt(`${path}.defaultTimezone`, `unknown time zone "${tz}"`);
  const caps = requireList(raw.caps, `${path}.caps`).map((c, i): Cap => {
    const cp = `${path}.caps[${i}]`;
    if (!isRecord(c)) throw invalidAt(cp, 'must be {channel, max, window}');
    const channel = c.channel;
    if (channel !== '*' && channel !== 'any' && !isChannel(channel)) {
      throw invalidAt(`${cp}.channel`, 'must be a channel, "*" (each channel) or "any" (all together)');
    }
    return {
      channel,
      max: requireNumber(c.max, `${cp}.max`, 0, 10_000),
      windowMs: parseDuration(c.window, `${cp}.window`),
    };
  });
  return {
    defaultTimezone: tz,
    caps,
    minProbability: requireNumber(raw.minResponsePercent, `${path}.minResponsePercent`, 0, 100) / 100,
    maxActions: requireNumber(raw.maxActions, `${path}.maxActions`, 1, 20),
    expiresInMs: parseDuration(raw.expiresIn, `${path}.expiresIn`),
    consentRequired: compileChannelList(raw.consentRequired, `${path}.consentRequired`),
    quietHours: (() => {
      const q = raw.quietHours;
      if (!isRecord(q)) throw invalidAt(`${path}.quietHours`, 'must be {channels, weekdays, weekends}');
      return {
        channels: compileChannelList(q.channels, `${path}.quietHours.channels`),
        weekdays: compileHours(q.weekdays, `${path}.quietHours.weekdays`),
        weekends: compileHours(q.weekends, `${path}.quietHours.weekends`),
      };
    })(),
    recency: compileRecency(raw.recency, `${path}.recency`),
    sessionExempt: compileChannelList(raw.sessionExempt, `${path}.sessionExempt`),
    priorStrength: raw.priorStrength === undefined ? 20 : requireNumber(raw.priorStrength, `${path}.priorStrength`, 0, 1e9),
    suppression:
      raw.suppression === undefined
        ? { declines: 3, withinMs: 90 * 86_400_000, pauseMs: 90 * 86_400_000, scope: 'offer' }
        : compileSuppression(raw.suppression, `${path}.suppression`),
    maybeLater: (() => {
      const m = raw.maybeLater;
      if (m === undefined) return { weight: 0.5, ms: 14 * 86_400_000 };
      if (!isRecord(m)) throw invalidAt(`${path}.maybeLater`, 'must be {weight, days}');
      return { weight: requireNumber(m.weight, `${path}.maybeLater.weight`, 0, 1), ms: requireNumber(m.days, `${path}.maybeLater.days`, 0, 3650) * 86_400_000 };
    })(),
    learning: compileLearning(raw.learning, `${path}.learning`),
    channelCapacity: (() => {
      const out = new Map<Channel, number>();
      const cc = raw.channelCapacity;
      if (cc === undefined) return out;
      if (!isRecord(cc)) throw invalidAt(`${path}.channelCapacity`, 'must map channels to {perDay}');
      for (const [ch, v] of Object.entries(cc)) {
        if (!isChannel(ch)) throw invalidAt(`${path}.channelCapacity.${ch}`, `unknown channel (known: ${channels.join(', ')})`);
        if (!isRecord(v)) throw invalidAt(`${path}.channelCapacity.${ch}`, 'must be {perDay}');
        out.set(ch, requireNumber(v.perDay, `${path}.channelCapacity.${ch}.perDay`, 0, 1e9));
      }
      return out;
    })(),
  };
}

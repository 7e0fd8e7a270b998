import { describe, expect, it } from 'vitest';
import { terminalOutcomes } from '../actors/gateway-event.js';
import { CALL_OUTCOMES, callOutcome, outcomeRowProblem, outcomeRowsOfRecords } from './outcome-rows.js';

const records = (...rows: string[][]) => rows.map((record, i) => ({ record, info: { lines: i + 1 } }));

describe('a call outcome', () => {
  it('is one of the outcomes that close a call, the same set the actor closes it with', () => {
    expect(new Set(CALL_OUTCOMES)).toEqual(terminalOutcomes);
  });

  it('is matched without case, spaces, dashes or underscores', () => {
    expect(callOutcome('Accepted')).toBe('accepted');
    expect(callOutcome('NO_ANSWER')).toBe('no_answer');
    expect(callOutcome('no answer')).toBe('no_answer');
    expect(callOutcome(' No-Answer ')).toBe('no_answer');
    expect(callOutcome('call back')).toBe('callback');
    expect(callOutcome('later')).toBe('later');
    for (const o of ['banana', 'clicked', 'expired', 'noanswer!', '']) expect(callOutcome(o), o).toBeUndefined();
  });

  it('of a file is sent in its one spelling; another is named with the outcomes taken, and its row not sent', () => {
    const rows = outcomeRowsOfRecords(records(['instance', 'outcome'], ['c-1:1.a', 'NO_ANSWER'], ['c-2:1.a', 'no answer'], ['c-3:1.a', 'Accepted'], ['c-4:1.a', 'banana']));
    expect(Array.isArray(rows)).toBe(true);
    if (!Array.isArray(rows)) return;
    expect(rows.slice(0, 3).map((r) => [r.row.outcome, r.problem])).toEqual([
      ['no_answer', undefined],
      ['no_answer', undefined],
      ['accepted', undefined],
    ]);
    expect(rows[3]!.line).toBe(5);
    expect(rows[3]!.problem).toBe('column "outcome": invalid_outcome "banana": must be one of accepted, declined, interested, callback, no_answer, later, dismissed (case, spaces and dashes aside)');
  });

  it('of a row as the API takes it is checked the same way', () => {
    expect(outcomeRowProblem({ instance: 'c-1:1.a', outcome: 'banana' })).toContain('field "outcome": invalid_outcome "banana"');
    expect(outcomeRowProblem({ instance: 'c-1:1.a', outcome: 'No Answer' })).toBeUndefined();
  });
});

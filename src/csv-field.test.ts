import { describe, expect, it } from 'vitest';
import { csvField } from './csv-field.js';
import { callListCsv } from './admin/wave-routes.js';
import { rejectLine } from './import/import-customers.js';

/** The one CSV cell writer: RFC 4180 quoting, and text a spreadsheet would run as a formula written as text. */
describe('csvField', () => {
  it('quotes as RFC 4180 says', () => {
    expect(['a', 'a,b', 'say "hi"', 'two\nlines', undefined, 7, true].map(csvField)).toEqual(['a', '"a,b"', '"say ""hi"""', '"two\nlines"', '', '7', 'true']);
  });

  it("writes a text cell starting with = + - @ tab or CR with a ' before it, inside quotes", () => {
    expect(['=HYPERLINK("http://x","y")', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx', '=1'].map(csvField)).toEqual([
      '"\'=HYPERLINK(""http://x"",""y"")"',
      '"\'+cmd"',
      '"\'-2+3"',
      '"\'@SUM(A1)"',
      '"\'\tx"',
      '"\'\rx"',
      '"\'=1"',
    ]);
  });

  it('leaves numbers as numbers: number cells, and text cells that are plain numbers or phones', () => {
    expect([-12.5, -3, '-12.5', '+79161234567', '0.25', 'a=b'].map(csvField)).toEqual(['-12.5', '-3', '-12.5', '+79161234567', '0.25', 'a=b']);
  });

  it('leaves a lone sign and a masked phone as they are: nothing after the sign makes a formula', () => {
    expect(['-', '+', '+7 *** *** ** 67', '+ *** *** ** 04', '-** 5'].map(csvField)).toEqual(['-', '+', '+7 *** *** ** 67', '+ *** *** ** 04', '-** 5']);
  });

  it('escapes a sign followed by anything that could make a formula, however close to a masked phone', () => {
    const cells = ['-2+3', '+7 * 3', '+7 *** * 3', '*** +7', '+7 916 123 45 67', '-A1', '+7 *** *** ** 67!', '+7 *** HYPERLINK("x")', '--1', '- ', '+(1)', '-1e5', '+7 *** *** ** 6|7'];
    expect(cells.map(csvField)).toEqual(cells.map((c) => (c.startsWith('*') ? c : `"'${c.replace(/"/g, '""')}"`)));
  });

  it('reads a long run of stars at once (no backtracking)', () => {
    expect(csvField(`+${'*'.repeat(200_000)}!`)).toBe(`"'+${'*'.repeat(200_000)}!"`);
    expect(csvField(`+${'* '.repeat(100_000)}`)).toBe(`"'+${'* '.repeat(100_000)}"`);
    expect(csvField(`+${'** '.repeat(100_000)}`)).toBe(`+${'** '.repeat(100_000)}`);
  });

  it('is what the call list and the rejects file write', () => {
    const csv = callListCsv([{ rank: 1, customer: 'c-1', lastName: '=cmd|/C calc!A0', firstName: 'Анна', phone: '+79161234567', score: 0.5 }]);
    expect(csv.split('\r\n')[1]).toBe('1,c-1,"\'=cmd|/C calc!A0",Анна,,+79161234567,0.500000,,,,,,');
    // a marketer's list: the phone masked, written as the API gives it
    expect(callListCsv([{ rank: 2, customer: 'c-2', lastName: 'И***', phone: '+7 *** *** ** 67' }]).split('\r\n')[1]).toBe('2,c-2,И***,,,+7 *** *** ** 67,,,,,,,');
    expect(rejectLine(2, 'first_name', 'too_long', '@x,y')).toBe('2,first_name,too_long,"\'@x,y"\n');
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_MATCH_INPUT, OperatorPattern, patternProblem } from '../../shared/actions/pattern';
import { extractParameter } from '../../shared/understanding/parameters';
import { ActionDefinitionSchema } from '../../shared/actions/action';

/**
 * Patterns operators write, and the corners where RE2 and JavaScript agree (literal braces, a class escape as a
 * range end, octal escapes, lazy quantifiers, empty loops).
 */
const PATTERNS = [
  '^[0-9]{5,10}$',
  '^[A-Z]{2}-\\d{3,4}$',
  'colou?r',
  '\\$\\d+(\\.\\d\\d)?',
  '[^\\s]+@[\\w.-]+',
  '\\bfoo\\b',
  '\\Bo\\B',
  'a|ab',
  '(a|ab)(c|bcd)(d*)',
  '^(a+)+$',
  'a*?b',
  'a+?',
  'a{2}?',
  '(?:ab)*c',
  '(?<id>[0-9]+)-x',
  'x{2,}',
  'a{,2}',
  '{a}',
  '[\\d-z]+',
  '[a-]',
  '\\x62|\\12',
  '(a)\\12',
  '.+',
  '^$',
  '',
  '(a*)*b',
  '()*a',
  '(^)*a',
  '\\w+\\s\\w+',
];
const ALPHABET = 'ab cd$-_.Z019@\n{},';

/** A small deterministic generator, so a failure names the same strings every run. */
function randomStrings(count: number): string[] {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  return Array.from({ length: count }, () => {
    let text = '';
    const length = Math.floor(next() * 12);
    for (let i = 0; i < length; i += 1) text += ALPHABET[Math.floor(next() * ALPHABET.length)];
    return text;
  });
}

describe('operator patterns on RE2', () => {
  it('finds exactly what RegExp finds (same position, same text) on thousands of strings', () => {
    const inputs = randomStrings(2000);
    for (const source of PATTERNS) {
      const pattern = new OperatorPattern(source);
      const native = new RegExp(source);
      for (const input of inputs) {
        const ours = pattern.exec(input);
        const theirs = native.exec(input);
        expect({ source, input, found: ours && [ours.index, ours.text] }).toEqual({
          source,
          input,
          found: theirs && [theirs.index, theirs[0]],
        });
      }
    }
  });

  it('reads the few patterns where RE2 and JavaScript disagree the RE2 way, or refuses them naming why', () => {
    expect(patternProblem('[]a')).toBe('missing closing ]: `[]a`');
    expect(patternProblem('[^]')).toBe('missing closing ]: `[^]`');
    expect(patternProblem('\\u0041')).toBe('invalid escape sequence: `\\u`');
    expect(patternProblem('\\cJ')).toBe('invalid escape sequence: `\\c`');
    expect(patternProblem('[\\b]')).toBe('invalid escape sequence: `\\b`');
    // An empty iteration ends a loop in RE2; JavaScript goes on to the next alternative.
    expect(new OperatorPattern('(|a)+').exec('a')).toEqual({ index: 0, text: '' });
    expect(new OperatorPattern('^.$').test('\r')).toBe(true);
    expect(new OperatorPattern('^.$').test('😀')).toBe(true);
    expect(new OperatorPattern('\\s').test('\u00a0')).toBe(false);
    expect(new OperatorPattern('^\\pL+$').test('Zoë')).toBe(true);
  });

  it('answers a catastrophic-backtracking pattern on a long hostile answer in milliseconds', () => {
    const started = performance.now();
    expect(new OperatorPattern('^(a+)+$').test(`${'a'.repeat(MAX_MATCH_INPUT - 1)}!`)).toBe(false);
    expect(new OperatorPattern('^(a|a)*$').test(`${'a'.repeat(MAX_MATCH_INPUT - 1)}!`)).toBe(false);
    expect(new OperatorPattern('^(\\w+\\s?)*$').test(`${'word '.repeat(199)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('never matches text longer than the input cap as a whole, and searches only its start', () => {
    const long = `12345 ${'x'.repeat(MAX_MATCH_INPUT)}`;
    expect(new OperatorPattern('^[0-9x ]+$').test(long)).toBe(false);
    expect(new OperatorPattern('[0-9]{5}').exec(long)?.text).toBe('12345');
    expect(new OperatorPattern('y').exec(`${'x'.repeat(MAX_MATCH_INPUT)}y`)).toBeNull();
  });

  it('refuses what needs backtracking, and patterns too large to run, naming why', () => {
    expect(patternProblem('(a)\\1')).toMatch(/backreferences are not supported/);
    expect(patternProblem('\\k<x>(?<x>a)')).toMatch(/backreferences are not supported/);
    expect(patternProblem('a(?=b)')).toMatch(/lookahead and lookbehind are not supported/);
    expect(patternProblem('(?<!a)b')).toMatch(/lookahead and lookbehind are not supported/);
    expect(patternProblem('[a-z]{1,999}[0-9]{1,999}')).toMatch(/too complex/);
    expect(patternProblem('a{1001}')).toMatch(/too complex/);
    expect(patternProblem('((a{10}){10}){11}')).toMatch(/too complex/);
    expect(patternProblem('^[0-9]{5,10}$')).toBeNull();
  });

  it('is what parameter extraction uses, and saving refuses a pattern it cannot run', () => {
    const param = { name: 'code', type: 'text' as const, description: '', required: true, array: false };
    const evil = { ...param, pattern: '^(a+)+b$' };
    const started = performance.now();
    expect(extractParameter(evil, `${'a'.repeat(3000)}!`, true)).toEqual({ ok: false, reason: expect.any(String) });
    expect(performance.now() - started).toBeLessThan(500);
    expect(extractParameter({ ...param, pattern: '^[0-9]{5}$' }, 'order #12345 please', false)).toEqual({
      ok: true,
      value: '12345',
    });
    const saved = ActionDefinitionSchema.safeParse({
      name: 'x',
      description: 'x',
      parameters: [{ ...param, pattern: '^(\\w)\\1$' }],
      steps: [{ id: 's', request: { method: 'GET', url: 'https://api.example.com/' } }],
    });
    expect(saved.error?.issues[0]?.path).toEqual(['parameters', 0, 'pattern']);
    expect(saved.error?.issues[0]?.message).toMatch(/cannot be used: backreferences are not supported/);
  });
});

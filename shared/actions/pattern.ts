import type * as Re2js from 're2js';
import type { RE2JS, RE2JSSyntaxException } from 're2js';

/**
 * Operator patterns (`parameters[].pattern`) run on RE2 (the re2js port), never on the backtracking RegExp engine:
 * matching time grows linearly with the input whatever the pattern, so `^(a+)+$` on a visitor's answer costs the
 * same as `^a+$`. What needs backtracking (backreferences, lookahead, lookbehind) is refused when the pattern is
 * compiled. Matches are leftmost-first like RegExp's; where the two engines read a pattern differently, RE2 wins
 * (`.` also matches `\r`, `\s` is ASCII whitespace). Pure and deterministic: workflow code runs it.
 */

let loaded: typeof Re2js | undefined;
/**
 * re2js, loaded on first use: each workflow instantiates the modules it loads, so a conversation none of whose
 * parameters has a pattern never pays for the matcher.
 */
function re2js(): typeof Re2js {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily on purpose (see above)
  return (loaded ??= require('re2js') as typeof Re2js);
}

/** The most instructions a compiled pattern may have (counted repetitions expand). */
export const MAX_PROGRAM_SIZE = 1000;
/** RE2's own cap on a repetition count, `{n,m}`, nested counts multiplied. */
const MAX_REPEAT = 1000;
/** Text longer than this is never matched as a whole, and only its first this-many characters are searched. */
export const MAX_MATCH_INPUT = 1000;

const NOT_LINEAR = '(patterns run on a linear-time matcher)';
const TOO_LARGE = `too complex: it expands to more than ${MAX_PROGRAM_SIZE} steps (use smaller {n,m} counts)`;

/** A pattern the matcher cannot run: bad syntax, a construct that needs backtracking, or too large. */
export class PatternError extends Error {
  override readonly name = 'PatternError';
}

/** RE2's complaint, in the words an operator needs: what to change. */
function explain(error: RE2JSSyntaxException): string {
  const input = error.input ?? '';
  if (/^\\([1-9]|k)$/.test(input)) return `backreferences are not supported ${NOT_LINEAR}`;
  if (/^\(\?(=|!|<=|<!)/.test(input)) return `lookahead and lookbehind are not supported ${NOT_LINEAR}`;
  if (error.error === 'invalid repeat count') {
    return `too complex: a repetition count is over ${MAX_REPEAT} (nested counts multiply)`;
  }
  if (error.error === 'expression too large') return TOO_LARGE;
  return input ? `${error.error}: \`${input}\`` : error.error;
}

/** A compiled operator pattern. `exec` and `test` search anywhere in the text, like RegExp without flags. */
export class OperatorPattern {
  private readonly re: RE2JS;

  constructor(readonly source: string) {
    const { RE2JS: Matcher, RE2JSException, RE2JSSyntaxException: SyntaxException } = re2js();
    try {
      this.re = Matcher.compile(source);
    } catch (error) {
      if (error instanceof SyntaxException) throw new PatternError(explain(error));
      if (error instanceof RE2JSException) throw new PatternError(error.message);
      throw error;
    }
    if (this.re.programSize() > MAX_PROGRAM_SIZE) throw new PatternError(TOO_LARGE);
  }

  /** A pattern that matches nothing: what a stored pattern the matcher cannot run becomes. */
  static matchingNothing(): OperatorPattern {
    return new OperatorPattern('[^\\x00-\\x{10FFFF}]');
  }

  /** The leftmost-first match in `text` (its first MAX_MATCH_INPUT characters), or null. */
  exec(text: string): { index: number; text: string } | null {
    const matcher = this.re.matcher(text.length > MAX_MATCH_INPUT ? text.slice(0, MAX_MATCH_INPUT) : text);
    return matcher.find() ? { index: matcher.start(), text: matcher.group() ?? '' } : null;
  }

  /** Whether the pattern matches somewhere in `text`; text longer than MAX_MATCH_INPUT never matches. */
  test(text: string): boolean {
    return text.length <= MAX_MATCH_INPUT && this.re.test(text);
  }
}

/** Why a pattern cannot run on the linear-time matcher, or null when it can. */
export function patternProblem(source: string): string | null {
  try {
    new OperatorPattern(source);
    return null;
  } catch (error) {
    if (error instanceof PatternError) return error.message;
    throw error;
  }
}

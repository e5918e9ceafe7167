/**
 * Operator patterns (`parameters[].pattern`) run on this matcher, not on the JavaScript RegExp engine: a Pike VM
 * (Thompson NFA simulation) whose time grows linearly with the input, whatever the pattern — `^(a+)+$` on a
 * visitor's answer costs the same as `^a+$`. It has RE2's semantics: JavaScript syntax without flags, minus what
 * needs backtracking (backreferences, lookahead, lookbehind), which is refused when the pattern is compiled.
 * Matches are leftmost-first like RegExp's, so `exec` finds the same text. Pure and deterministic: workflow code
 * runs it.
 */

/** The most instructions a compiled pattern may have (counted repetitions expand); RE2 caps counts at 1000 too. */
export const MAX_PROGRAM_SIZE = 1000;
/** Text longer than this is never matched as a whole, and only its first this-many characters are searched. */
export const MAX_MATCH_INPUT = 1000;

/** A pattern the matcher cannot run: bad syntax, a construct that needs backtracking, or too large. */
export class PatternError extends Error {
  override readonly name = 'PatternError';
}

type Ranges = readonly (readonly [number, number])[];
type CharSet = { ranges: Ranges; negated: boolean };

type Node =
  | { kind: 'empty' }
  | { kind: 'char'; set: CharSet }
  | { kind: 'assert'; assertion: Assertion }
  | { kind: 'concat'; items: Node[] }
  | { kind: 'alt'; branches: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number; greedy: boolean };

type Assertion = 'start' | 'end' | 'word' | 'not_word';

type Instruction =
  | { op: 'char'; set: CharSet }
  | { op: 'split'; first: number; second: number }
  | { op: 'jmp'; to: number }
  | { op: 'assert'; assertion: Assertion }
  | { op: 'match' };

const DIGIT: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
/** JavaScript's \s: WhiteSpace and LineTerminator. */
const SPACE: Ranges = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const LINE_TERMINATORS: Ranges = [
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
];

function inRanges(ranges: Ranges, code: number): boolean {
  for (const [lo, hi] of ranges) if (code >= lo && code <= hi) return true;
  return false;
}

function inSet(set: CharSet, code: number): boolean {
  return inRanges(set.ranges, code) !== set.negated;
}

/** The code units not in `ranges`: what `\D`, `\W`, `\S` add inside a class. */
function complement(ranges: Ranges): Ranges {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= 0xffff) out.push([next, 0xffff]);
  return out;
}

const single = (code: number): CharSet => ({ ranges: [[code, code]], negated: false });

/** A recursive-descent parser for the JavaScript pattern syntax (no flags, Annex B leniency for literal braces). */
class Parser {
  private pos = 0;

  constructor(private readonly source: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.source.length) {
      throw new PatternError(`unmatched ")" at position ${this.pos}`);
    }
    return node;
  }

  private peek(offset = 0): string | undefined {
    return this.source[this.pos + offset];
  }

  private alternation(): Node {
    const branches = [this.sequence()];
    while (this.peek() === '|') {
      this.pos += 1;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? (branches[0] as Node) : { kind: 'alt', branches };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.pos < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    if (items.length === 0) return { kind: 'empty' };
    return items.length === 1 ? (items[0] as Node) : { kind: 'concat', items };
  }

  /** `{n}`, `{n,}` or `{n,m}` at the current position, or null when the brace is a literal one. */
  private braces(): { min: number; max: number; length: number } | null {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.pos));
    if (!match) return null;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
    if (max < min) throw new PatternError(`numbers out of order in {${match[1]}${match[2] ?? ''}}`);
    return { min, max, length: match[0].length };
  }

  private quantified(atom: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const counted = this.braces();
      if (!counted) return atom;
      [min, max] = [counted.min, counted.max];
      this.pos += counted.length - 1;
    } else return atom;
    this.pos += 1;
    if (atom.kind === 'assert') throw new PatternError('nothing to repeat');
    let greedy = true;
    if (this.peek() === '?') {
      greedy = false;
      this.pos += 1;
    }
    // A second quantifier straight after the first (`a**`, `a{2}{3}`) is a syntax error in JavaScript.
    const after = this.peek();
    if (after === '*' || after === '+' || after === '?' || (after === '{' && this.braces()))
      throw new PatternError('nothing to repeat');
    if (min > MAX_PROGRAM_SIZE || (max !== Infinity && max > MAX_PROGRAM_SIZE)) {
      throw new PatternError(`too complex: a repetition count is over ${MAX_PROGRAM_SIZE}`);
    }
    return { kind: 'repeat', node: atom, min, max, greedy };
  }

  private atom(): Node {
    const c = this.peek() as string;
    this.pos += 1;
    switch (c) {
      case '.':
        return { kind: 'char', set: { ranges: LINE_TERMINATORS, negated: true } };
      case '^':
        return { kind: 'assert', assertion: 'start' };
      case '$':
        return { kind: 'assert', assertion: 'end' };
      case '(':
        return this.group();
      case '[':
        return { kind: 'char', set: this.charClass() };
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        throw new PatternError('nothing to repeat');
      case '{':
        this.pos -= 1;
        if (this.braces()) throw new PatternError('nothing to repeat');
        this.pos += 1;
        return { kind: 'char', set: single(c.charCodeAt(0)) };
      default:
        return { kind: 'char', set: single(c.charCodeAt(0)) };
    }
  }

  private group(): Node {
    if (this.peek() === '?') {
      const next = this.peek(1);
      if (next === ':') this.pos += 2;
      else if (next === '<' && this.peek(2) !== '=' && this.peek(2) !== '!') {
        const name = /^<([A-Za-z_$][A-Za-z0-9_$]*)>/.exec(this.source.slice(this.pos + 1));
        if (!name) throw new PatternError('invalid group name');
        this.pos += 1 + name[0].length;
      } else if (next === '=' || next === '!' || next === '<') {
        throw new PatternError('lookahead and lookbehind are not supported (patterns run on a linear-time matcher)');
      } else {
        throw new PatternError('this kind of group is not supported');
      }
    }
    const inner = this.alternation();
    if (this.peek() !== ')') throw new PatternError('unterminated group');
    this.pos += 1;
    // A group is quantifiable whatever it holds, `(^)*` and `()*` included.
    return { kind: 'concat', items: [inner] };
  }

  /** An escape outside a class. */
  private escape(): Node {
    const c = this.peek();
    if (c === undefined) throw new PatternError('\\ at end of pattern');
    if (c === 'b' || c === 'B') {
      this.pos += 1;
      return { kind: 'assert', assertion: c === 'b' ? 'word' : 'not_word' };
    }
    if (/[1-9]/.test(c) || (c === 'k' && this.peek(1) === '<')) {
      throw new PatternError('backreferences are not supported (patterns run on a linear-time matcher)');
    }
    return { kind: 'char', set: this.escapedSet(false) };
  }

  /** The set an escape stands for (after the backslash); inside a class `\b` is a backspace. */
  private escapedSet(inClass: boolean): CharSet {
    const c = this.peek() as string;
    this.pos += 1;
    switch (c) {
      case 'd':
        return { ranges: DIGIT, negated: false };
      case 'D':
        return { ranges: DIGIT, negated: true };
      case 'w':
        return { ranges: WORD, negated: false };
      case 'W':
        return { ranges: WORD, negated: true };
      case 's':
        return { ranges: SPACE, negated: false };
      case 'S':
        return { ranges: SPACE, negated: true };
      case 't':
        return single(0x09);
      case 'n':
        return single(0x0a);
      case 'v':
        return single(0x0b);
      case 'f':
        return single(0x0c);
      case 'r':
        return single(0x0d);
      case 'b':
        if (inClass) return single(0x08);
        break;
      case '0':
        if (!/[0-9]/.test(this.peek() ?? '')) return single(0);
        throw new PatternError('octal escapes are not supported');
      case 'c': {
        const letter = this.peek();
        if (letter !== undefined && /[A-Za-z]/.test(letter)) {
          this.pos += 1;
          return single(letter.charCodeAt(0) % 32);
        }
        this.pos -= 1;
        return single(0x5c);
      }
      case 'x': {
        const hex = /^[0-9A-Fa-f]{2}/.exec(this.source.slice(this.pos));
        if (!hex) return single(c.charCodeAt(0));
        this.pos += 2;
        return single(parseInt(hex[0], 16));
      }
      case 'u': {
        const hex = /^[0-9A-Fa-f]{4}/.exec(this.source.slice(this.pos));
        if (!hex) return single(c.charCodeAt(0));
        this.pos += 4;
        return single(parseInt(hex[0], 16));
      }
      default:
        if (/[1-9]/.test(c)) throw new PatternError('octal escapes are not supported');
    }
    // Identity escape: `\.` is a dot, `\a` an a (JavaScript without the u flag).
    return single(c.charCodeAt(0));
  }

  private charClass(): CharSet {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos += 1;
    }
    const ranges: (readonly [number, number])[] = [];
    const classAtom = (): CharSet => {
      const c = this.peek();
      if (c === undefined) throw new PatternError('unterminated character class');
      this.pos += 1;
      if (c !== '\\') return single(c.charCodeAt(0));
      if (this.peek() === undefined) throw new PatternError('\\ at end of pattern');
      if (/[1-9]/.test(this.peek() as string)) throw new PatternError('octal escapes are not supported');
      return this.escapedSet(true);
    };
    const add = (set: CharSet) => ranges.push(...(set.negated ? complement(set.ranges) : set.ranges));
    const scalar = (set: CharSet): number | null => {
      const [first] = set.ranges;
      return !set.negated && set.ranges.length === 1 && first && first[0] === first[1] ? first[0] : null;
    };
    while (this.peek() !== ']') {
      const from = classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos += 1;
        const to = classAtom();
        const [lo, hi] = [scalar(from), scalar(to)];
        if (lo === null || hi === null) {
          // Annex B: `[\d-z]` is \d, "-" and z.
          add(from);
          add(single(0x2d));
          add(to);
          continue;
        }
        if (lo > hi) throw new PatternError('range out of order in character class');
        ranges.push([lo, hi]);
      } else add(from);
    }
    this.pos += 1;
    return { ranges, negated };
  }
}

/** Compiles a syntax tree into Pike VM instructions. */
function compile(root: Node): Instruction[] {
  const program: Instruction[] = [];
  const emit = (instruction: Instruction): number => {
    if (program.length >= MAX_PROGRAM_SIZE) {
      throw new PatternError(
        `too complex: it expands to more than ${MAX_PROGRAM_SIZE} steps (use smaller {n,m} counts)`,
      );
    }
    program.push(instruction);
    return program.length - 1;
  };
  const split = () => emit({ op: 'split', first: -1, second: -1 });
  const patchSplit = (at: number, first: number, second: number) => {
    program[at] = { op: 'split', first, second };
  };

  const gen = (node: Node): void => {
    switch (node.kind) {
      case 'empty':
        return;
      case 'char':
        emit({ op: 'char', set: node.set });
        return;
      case 'assert':
        emit({ op: 'assert', assertion: node.assertion });
        return;
      case 'concat':
        for (const item of node.items) gen(item);
        return;
      case 'alt': {
        const jumps: number[] = [];
        node.branches.forEach((branch, index) => {
          if (index === node.branches.length - 1) {
            gen(branch);
            return;
          }
          const at = split();
          gen(branch);
          jumps.push(emit({ op: 'jmp', to: -1 }));
          patchSplit(at, at + 1, program.length);
        });
        for (const jump of jumps) program[jump] = { op: 'jmp', to: program.length };
        return;
      }
      case 'repeat': {
        const { min, max, greedy } = node;
        for (let i = 0; i < min; i += 1) gen(node.node);
        const order = (body: number, out: number): [number, number] => (greedy ? [body, out] : [out, body]);
        if (max === Infinity) {
          const loop = split();
          gen(node.node);
          emit({ op: 'jmp', to: loop });
          patchSplit(loop, ...order(loop + 1, program.length));
          return;
        }
        // x{0,k}: k nested optional copies, each skipping to the end.
        const exits: number[] = [];
        for (let i = min; i < max; i += 1) {
          exits.push(split());
          gen(node.node);
        }
        for (const at of exits) patchSplit(at, ...order(at + 1, program.length));
        return;
      }
    }
  };
  gen(root);
  emit({ op: 'match' });
  return program;
}

const isWordChar = (text: string, index: number) =>
  index >= 0 && index < text.length && inRanges(WORD, text.charCodeAt(index));

function holds(assertion: Assertion, text: string, at: number): boolean {
  switch (assertion) {
    case 'start':
      return at === 0;
    case 'end':
      return at === text.length;
    case 'word':
      return isWordChar(text, at - 1) !== isWordChar(text, at);
    case 'not_word':
      return isWordChar(text, at - 1) === isWordChar(text, at);
  }
}

/** A compiled pattern. `exec` and `test` search anywhere in the text, like RegExp without flags. */
export class LinearRegex {
  private readonly program: Instruction[];

  constructor(readonly source: string) {
    this.program = compile(new Parser(source).parse());
  }

  /** The leftmost-first match in `text` (its first MAX_MATCH_INPUT characters), or null. */
  exec(text: string): { index: number; text: string } | null {
    const input = text.length > MAX_MATCH_INPUT ? text.slice(0, MAX_MATCH_INPUT) : text;
    const program = this.program;
    const size = program.length;
    // Thread lists in priority order (pc and match start side by side), swapped at each position.
    let pcs = new Int32Array(size);
    let starts = new Int32Array(size);
    let nextPcs = new Int32Array(size);
    let nextStarts = new Int32Array(size);
    let count = 0;
    let nextCount = 0;
    // marks[pc] = position + 1 when pc is already on the list for that position: each pc at most once.
    const marks = new Int32Array(size);
    const stack = new Int32Array(size * 2 + 2);
    let matchStart = -1;
    let matchEnd = -1;

    /** Adds the threads `entry` leads to at position `at`, following jumps, splits and assertions in priority order. */
    const add = (toNext: boolean, entry: number, at: number, start: number) => {
      let top = 0;
      stack[top++] = entry;
      while (top > 0) {
        const pc = stack[--top] as number;
        if (marks[pc] === at + 1) continue;
        marks[pc] = at + 1;
        const instruction = program[pc] as Instruction;
        if (instruction.op === 'jmp') stack[top++] = instruction.to;
        else if (instruction.op === 'split') {
          stack[top++] = instruction.second;
          stack[top++] = instruction.first;
        } else if (instruction.op === 'assert') {
          if (holds(instruction.assertion, input, at)) stack[top++] = pc + 1;
        } else if (toNext) {
          nextPcs[nextCount] = pc;
          nextStarts[nextCount++] = start;
        } else {
          pcs[count] = pc;
          starts[count++] = start;
        }
      }
    };

    for (let at = 0; at <= input.length; at += 1) {
      if (matchStart < 0) add(false, 0, at, at);
      if (count === 0) {
        if (matchStart >= 0) break;
        continue;
      }
      nextCount = 0;
      const code = at < input.length ? input.charCodeAt(at) : -1;
      for (let i = 0; i < count; i += 1) {
        const pc = pcs[i] as number;
        const instruction = program[pc] as Instruction;
        if (instruction.op === 'match') {
          matchStart = starts[i] as number;
          matchEnd = at;
          break; // Threads after this one have lower priority.
        }
        if (instruction.op === 'char' && code >= 0 && inSet(instruction.set, code)) {
          add(true, pc + 1, at + 1, starts[i] as number);
        }
      }
      [pcs, nextPcs] = [nextPcs, pcs];
      [starts, nextStarts] = [nextStarts, starts];
      count = nextCount;
    }
    return matchStart < 0 ? null : { index: matchStart, text: input.slice(matchStart, matchEnd) };
  }

  /** Whether the pattern matches somewhere in `text`; text longer than MAX_MATCH_INPUT never matches. */
  test(text: string): boolean {
    return text.length <= MAX_MATCH_INPUT && this.exec(text) !== null;
  }
}

/** Why a pattern cannot run on the linear-time matcher, or null when it can. */
export function linearPatternProblem(source: string): string | null {
  try {
    new LinearRegex(source);
    return null;
  } catch (error) {
    if (error instanceof PatternError) return error.message;
    throw error;
  }
}

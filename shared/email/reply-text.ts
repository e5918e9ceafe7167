/**
 * What a visitor newly wrote in an email: the body without the quoted conversation below it, the attribution line
 * that introduces the quote ("On Mon, 3 Mar 2026, Parley <support@acme.test> wrote:"), an Outlook header block, the
 * signature, and mobile footers. Pure and linear in the length of the text (line-by-line string tests, no regular
 * expression that could backtrack), since anyone can send Parley an email.
 *
 * The rule, top to bottom: the new text ends at the first line that
 * - starts with `>` (quoted text);
 * - is an attribution: starts with "On " (or "Le ", "Am ", "El ", "Il ", "Em ", "Op ", "Den ") and ends with
 *   "wrote:" (or "a écrit :", "schrieb:", "escribió:", "ha scritto:", "escreveu:", "schreef:", "skrev:"), on one
 *   line or wrapped over two;
 * - is "-----Original Message-----" (any number of dashes), or an Outlook separator of 20 or more underscores;
 * - starts with "From:" and is followed within two lines by "Sent:" or "Date:" (Outlook's header block);
 * - is the signature delimiter "-- " (or "--"), or starts with "Sent from my ".
 * When nothing is left above such a line (a reply written below the quote), the text is every line that is not
 * quoted and not an attribution.
 */

const ATTRIBUTION_STARTS = ['on ', 'le ', 'am ', 'el ', 'il ', 'em ', 'op ', 'den '];
const ATTRIBUTION_ENDS = [
  'wrote:',
  'a écrit :',
  'a écrit:',
  'schrieb:',
  'escribió:',
  'ha scritto:',
  'escreveu:',
  'schreef:',
  'skrev:',
];

/** The most characters of a body that are read: far more than a message may hold, far less than a mailbox. */
const MAX_BODY_CHARS = 100_000;

const startsAttribution = (line: string) => {
  const lower = line.trimStart().toLowerCase();
  return ATTRIBUTION_STARTS.some((start) => lower.startsWith(start));
};
const endsAttribution = (line: string) => {
  const lower = line.trimEnd().toLowerCase();
  return ATTRIBUTION_ENDS.some((end) => lower.endsWith(end));
};

/** Whether the line at `index` ends the new text (see the rule above). */
function endsNewText(lines: string[], index: number): boolean {
  const line = lines[index] ?? '';
  const trimmed = line.trim();
  if (trimmed.startsWith('>')) return true;
  if (startsAttribution(line) && (endsAttribution(line) || endsAttribution(lines[index + 1] ?? ''))) return true;
  if (/^-+\s*original message\s*-+$/i.test(trimmed)) return true;
  if (trimmed.length >= 20 && /^_+$/.test(trimmed)) return true;
  if (/^from:/i.test(trimmed)) {
    const next = [lines[index + 1], lines[index + 2]].map((candidate) => (candidate ?? '').trim().toLowerCase());
    if (next.some((candidate) => candidate.startsWith('sent:') || candidate.startsWith('date:'))) return true;
  }
  if (line === '-- ' || trimmed === '--') return true;
  return /^sent from my /i.test(trimmed);
}

/** The text a visitor newly wrote in an email body (see the rule above); '' when there is none. */
export function newReplyText(body: string): string {
  const lines = body.slice(0, MAX_BODY_CHARS).replace(/\r\n?/g, '\n').split('\n');
  const end = lines.findIndex((_, index) => endsNewText(lines, index));
  const above = (end < 0 ? lines : lines.slice(0, end)).join('\n').trim();
  if (above !== '' || end < 0) return above;
  // Written below the quote: keep what is neither quoted nor an attribution.
  return lines
    .filter((line, index) => {
      if (line.trim().startsWith('>')) return false;
      const wrapped = startsAttribution(line) && endsAttribution(lines[index + 1] ?? '');
      const continued = index > 0 && startsAttribution(lines[index - 1] ?? '') && endsAttribution(line);
      return !(startsAttribution(line) && endsAttribution(line)) && !wrapped && !continued;
    })
    .join('\n')
    .trim();
}

const BLOCK_TAGS = new Set(['br', 'p', 'div', 'li', 'tr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote']);
const HIDDEN_TAGS = new Set(['style', 'script', 'head']);
const ENTITIES: [string, string][] = [
  ['&nbsp;', ' '],
  ['&lt;', '<'],
  ['&gt;', '>'],
  ['&quot;', '"'],
  ['&#39;', "'"],
  ['&apos;', "'"],
  ['&amp;', '&'],
];

/**
 * Plain text of an HTML body, for emails that come without a text part: tags dropped (line breaks for block tags and
 * `<br>`, nothing of style, script and head), common entities decoded, quoted blocks marked with `>` so the quote
 * rule removes them. One pass with indexOf: linear in the length of the HTML.
 */
export function htmlToText(html: string): string {
  const input = html.slice(0, MAX_BODY_CHARS);
  const lower = input.toLowerCase();
  let out = '';
  let at = 0;
  while (at < input.length) {
    const open = input.indexOf('<', at);
    if (open < 0) {
      out += input.slice(at);
      break;
    }
    out += input.slice(at, open);
    const close = input.indexOf('>', open + 1);
    if (close < 0) break;
    const tag = lower.slice(open + 1, Math.min(close, open + 20)).trim();
    const closing = tag.startsWith('/');
    let name = '';
    for (const char of closing ? tag.slice(1) : tag) {
      if (!/[a-z0-9]/.test(char)) break;
      name += char;
    }
    at = close + 1;
    if (!closing && HIDDEN_TAGS.has(name)) {
      const end = lower.indexOf(`</${name}`, at);
      const endClose = end < 0 ? -1 : input.indexOf('>', end);
      if (endClose < 0) break;
      at = endClose + 1;
    } else if (name === 'blockquote' && !closing) out += '\n> ';
    else if (BLOCK_TAGS.has(name) && (closing || name === 'br')) out += '\n';
  }
  for (const [entity, character] of ENTITIES) out = out.split(entity).join(character);
  return out
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

import type { ConversationEntry, LogEntry, TestResult } from './admin-client';

/** How `test`, `logs` and `conversations` print what the API answered, for a person reading a terminal. */

const BODY_CHARS = 2000;

function indent(text: string, by: string): string[] {
  return text.split('\n').map((line) => `${by}${line}`);
}

/** A body as text: JSON pretty-printed, anything else as sent; cut when long. */
export function bodyText(body: string): string {
  let text = body;
  try {
    text = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // Not JSON: shown as it is.
  }
  return text.length > BODY_CHARS ? `${text.slice(0, BODY_CHARS)}… (${text.length} characters)` : text;
}

function messageText(message: TestResult['reply'][number]): string {
  const { type, ...rest } = message;
  if (type === 'text' && typeof rest['text'] === 'string') return rest['text'];
  return `[${type}] ${JSON.stringify(rest)}`;
}

/** A test run: per call the request (secrets masked by the API), the response and the fields; then the reply. */
export function testResultText(result: TestResult): string[] {
  const lines = [`${result.action} (version ${result.version}): ${result.ok ? 'ok' : 'failed'}`];
  for (const call of result.steps) {
    const what = call.kind === 'compensate' ? `compensation of step ${call.step}` : `step ${call.step}`;
    const failure = call.failure ? ` (${call.failure}${call.message ? `: ${call.message}` : ''})` : '';
    lines.push('', `${what}: ${call.outcome}${failure}${call.structureChanged ? ' — response structure changed' : ''}`);
    const detail = call.detail;
    if (detail) {
      lines.push(`  request:  ${detail.request.method} ${detail.request.url}`);
      for (const [name, value] of Object.entries(detail.request.headers)) lines.push(`            ${name}: ${value}`);
      if (detail.request.body !== null) lines.push(...indent(bodyText(detail.request.body), '            '));
      if (detail.response) {
        lines.push(`  response: ${detail.response.status}`);
        if (detail.response.body !== null) lines.push(...indent(bodyText(detail.response.body), '            '));
        if (detail.response.discovery) lines.push(...pathLines(detail.response.discovery));
      } else lines.push('  response: none');
    }
    if (call.fields) {
      const entries = Object.entries(call.fields);
      lines.push(`  fields:${entries.length === 0 ? '   none' : ''}`);
      for (const [name, value] of entries) lines.push(`            ${name} = ${JSON.stringify(value)}`);
    }
  }
  lines.push('', 'reply:');
  if (result.reply.length === 0) lines.push('  (nothing)');
  for (const message of result.reply) lines.push(...indent(messageText(message), '  '));
  return lines;
}

type Discovery = NonNullable<NonNullable<NonNullable<TestResult['steps'][number]['detail']>['response']>['discovery']>;

/** A response's paths as a table of suggested field names, paths and samples, for `response.fields`. */
function pathLines(discovery: Discovery): string[] {
  if (discovery.note) return [`  paths:    ${discovery.note}`];
  if (discovery.paths.length === 0) return [];
  const fieldWidth = Math.max(...discovery.paths.map((path) => path.field.length));
  const pathWidth = Math.max(...discovery.paths.map((path) => path.path.length));
  const lines = [
    '  paths:    (for response.fields, `field: path`; `every` reads a value from each element of an array)',
  ];
  for (const path of discovery.paths) {
    const every = path.every ? `  every: ${path.every}` : '';
    lines.push(
      `            ${path.field.padEnd(fieldWidth)}  ${path.path.padEnd(pathWidth)}  ${JSON.stringify(path.sample)}${every}`,
    );
  }
  if (discovery.truncated) lines.push(`            … ${discovery.total - discovery.paths.length} more paths`);
  return lines;
}

/** The call log, one line per attempt (newest first), its error below it. */
export function logText(entries: readonly LogEntry[]): string[] {
  if (entries.length === 0) return ['no calls logged'];
  return entries.flatMap((entry) => {
    const status = entry.status === null ? '—' : String(entry.status);
    const origin = entry.test ? 'test run' : `conversation ${entry.conversationId}`;
    const notes = entry.structureChanged ? '  (response structure changed)' : '';
    const line = `${entry.at}  ${entry.outcome.padEnd(11)}  ${entry.step} #${entry.attempt}  ${entry.method} ${entry.url} → ${status}  ${entry.durationMs} ms  ${origin}${notes}`;
    return entry.error ? [line, `    ${entry.error.type}: ${entry.error.message}`] : [line];
  });
}

/** Recent conversations as a table: id, status, who answers, when it started and closed. */
export function conversationText(entries: readonly ConversationEntry[]): string[] {
  if (entries.length === 0) return ['no conversations'];
  const rows = [
    ['CONVERSATION', 'STATUS', 'MODE', 'STARTED', 'CLOSED'],
    ...entries.map((entry) => [entry.conversationId, entry.status, entry.mode, entry.startedAt, entry.closedAt ?? '']),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

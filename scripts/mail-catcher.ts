import { SMTPServer } from 'smtp-server';

/**
 * A mail catcher for trying the email channel on one machine: an SMTP server on 127.0.0.1 (port 2525, or the first
 * argument) that accepts every message and prints who it is for, its threading headers and its plain text. Run
 * Parley with PARLEY_SMTP_URL=smtp://127.0.0.1:2525 and watch the replies arrive here. Development only.
 */

const port = Number(process.argv[2] ?? 2525);

/** The message's headers, unfolded, by lower-case name. */
function headersOf(raw: string): Map<string, string> {
  const block = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** The text/plain part, decoded from quoted-printable or base64. */
function plainText(raw: string): string {
  const start = raw.search(/content-type: text\/plain/i);
  if (start < 0) return '(no text part)';
  const bodyStart = raw.indexOf('\r\n\r\n', start) + 4;
  const partHeaders = raw.slice(start, bodyStart);
  const end = raw.indexOf('\r\n--', bodyStart);
  const body = raw.slice(bodyStart, end < 0 ? undefined : end);
  if (/base64/i.test(partHeaders)) return Buffer.from(body, 'base64').toString('utf8');
  if (!/quoted-printable/i.test(partHeaders)) return body;
  const bytes = body
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = headersOf(raw);
      const lines = ['from', 'to', 'subject', 'message-id', 'in-reply-to', 'references'].map(
        (name) => `${name}: ${headers.get(name) ?? ''}`,
      );
      console.log(['--- mail', ...lines, '', plainText(raw).replace(/\r\n/g, '\n').trimEnd(), ''].join('\n'));
      callback();
    });
  },
});
server.listen(port, '127.0.0.1', () => console.log(`Mail catcher on smtp://127.0.0.1:${port} (Ctrl-C stops it)`));
process.once('SIGINT', () => server.close(() => process.exit(0)));

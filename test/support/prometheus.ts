/** One sample of a Prometheus text exposition: `name{label="value",…} value`. */
export type Sample = { name: string; labels: Record<string, string>; value: number };

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/;
const LABEL = /\s*([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;

/** Reads a label value as the format escapes it (`\\`, `\"`, `\n`). */
function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));
}

/**
 * Parses the Prometheus text exposition format (what /metrics answers) into samples; prom-client has no parser.
 * Comments (`# HELP`, `# TYPE`) and blank lines are skipped; a line that is neither throws, naming it.
 */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const [, name = '', , labelText = '', value = ''] = match;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    for (let label = LABEL.exec(labelText); label; label = LABEL.exec(labelText)) {
      labels[label[1] ?? ''] = unescape(label[2] ?? '');
      if (LABEL.lastIndex === labelText.length) break;
    }
    if (labelText !== '' && LABEL.lastIndex !== labelText.length) throw new Error(`bad labels in: ${line}`);
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there are none). */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name)
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** The metric names a `# TYPE` line declares. */
export function declaredNames(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((match) => match[1] ?? '');
}

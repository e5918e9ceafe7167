import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildWidget } from '../api/widget';

const ROOT = resolve(__dirname, '..');

/** `npm run build`, after tsc: bundles the web chat to dist/widget/widget.js, which the compiled API serves. */
async function main(): Promise<void> {
  const out = join(ROOT, 'dist', 'widget', 'widget.js');
  const { code } = await buildWidget(ROOT);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  console.log(
    `${relative(ROOT, out)}: ${kb(Buffer.byteLength(code))}, ${kb(gzipSync(code, { level: 9 }).length)} gzipped`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

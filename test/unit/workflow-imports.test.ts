import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * Every cached conversation carries its own instance of each module its workflow code loads, so what workflows
 * import at load time is memory per conversation (README "Performance"). Validators (zod) and the date parser
 * (chrono-node) are loaded only when used — the upgrade of old definitions, a date parameter — by `require` inside
 * a function. This follows the static imports from the workflows' entry point and fails when one of them is reached.
 */
describe('what workflow code loads', () => {
  it('loads neither zod nor chrono-node when a conversation starts', async () => {
    const root = join(__dirname, '..', '..');
    const { metafile } = await build({
      entryPoints: [join(root, 'workflows', 'index.ts')],
      absWorkingDir: root,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      packages: 'external',
      logLevel: 'silent',
    });
    const reached = new Map<string, string[]>([['workflows/index.ts', ['workflows/index.ts']]]);
    const queue = ['workflows/index.ts'];
    const heavy: string[] = [];
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      for (const imported of metafile.inputs[file]?.imports ?? []) {
        if (imported.kind !== 'import-statement') continue;
        const chain = [...(reached.get(file) ?? []), imported.path];
        if (imported.external) {
          if (/^(zod|chrono-node)(\/|$)/.test(imported.path)) heavy.push(chain.join(' → '));
          continue;
        }
        if (reached.has(imported.path)) continue;
        reached.set(imported.path, chain);
        queue.push(imported.path);
      }
    }
    expect(reached.size).toBeGreaterThan(10);
    expect(heavy).toEqual([]);
  });
});

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { RequestHandler } from 'express';

/**
 * `GET /widget.js`: the web chat (widget/), one script bundled with the typed client by esbuild. A source checkout
 * (`npm start`, tests) bundles widget/main.ts when first asked and again whenever one of its files changes; the
 * compiled API (`node dist/api/main.js`) serves what `npm run build` wrote to dist/widget/widget.js. Either way the
 * bundle is held in memory, plain and gzipped, with an ETag; nothing is downloaded or built in production.
 */

const ROOT = resolve(__dirname, '..');
/** The widget's entry point, present in a source checkout only. */
const WIDGET_ENTRY = join(ROOT, 'widget', 'main.ts');
/** Where `npm run build` writes the bundle (dist/widget/widget.js, next to dist/api/). */
export const BUILT_WIDGET = join(ROOT, 'widget', 'widget.js');

/** The bundle as served. */
type Bundle = { body: Buffer; gzip: Buffer; etag: string; inputs: string[]; builtAt: number };

/**
 * Bundles the web chat from its sources: one minified IIFE for browsers, the typed client inside. Answers the code
 * and the files it was built from.
 */
export async function buildWidget(root = ROOT): Promise<{ code: string; inputs: string[] }> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, 'widget', 'main.ts')],
    tsconfig: join(root, 'widget', 'tsconfig.json'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    // ASCII (non-ASCII text escaped): the script reads the same whatever charset a page or a CDN gives it.
    charset: 'ascii',
    banner: { js: '/* Parley web chat */' },
    metafile: true,
    write: false,
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild wrote no widget bundle');
  const inputs = Object.keys(result.metafile.inputs).map((path) => (isAbsolute(path) ? path : join(root, path)));
  return { code: output.text, inputs };
}

function bundleOf(code: Buffer, inputs: string[], builtAt: number): Bundle {
  const etag = `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`;
  return { body: code, gzip: gzipSync(code, { level: 9 }), etag, inputs, builtAt };
}

/** Serves widget.js (see above). */
export function widgetScript(): RequestHandler {
  const fromSource = existsSync(WIDGET_ENTRY);
  let current: Bundle | null = null;
  let building: Promise<Bundle> | null = null;

  const changedSince = (bundle: Bundle) =>
    bundle.inputs.some((file) => {
      try {
        return statSync(file).mtimeMs > bundle.builtAt;
      } catch {
        return true;
      }
    });

  async function load(): Promise<Bundle> {
    if (fromSource) {
      const builtAt = Date.now();
      const { code, inputs } = await buildWidget();
      return bundleOf(Buffer.from(code), inputs, builtAt);
    }
    if (!existsSync(BUILT_WIDGET)) {
      throw new Error(`widget.js has not been built: \`npm run build\` writes ${BUILT_WIDGET}`);
    }
    return bundleOf(readFileSync(BUILT_WIDGET), [], Date.now());
  }

  function bundle(): Promise<Bundle> {
    if (current && !(fromSource && changedSince(current))) return Promise.resolve(current);
    building ??= load()
      .then((loaded) => (current = loaded))
      .finally(() => (building = null));
    return building;
  }

  return async (req, res) => {
    const served = await bundle();
    res.set({
      'content-type': 'text/javascript; charset=utf-8',
      etag: served.etag,
      // Pages embed /widget.js under a fixed URL: revalidate within the hour (always, while developing).
      'cache-control': fromSource ? 'no-cache' : 'public, max-age=3600',
      vary: 'Accept-Encoding',
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
    });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
    if (gzip) res.set('content-encoding', 'gzip');
    res.send(gzip ? served.gzip : served.body);
  };
}

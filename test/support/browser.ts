import { existsSync, mkdirSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { ROOT } from '../../scripts/infra';

/**
 * A real browser for the web chat's tests: Debian's Chromium (the bootstrap installs it), driven by playwright-core,
 * which downloads no browser of its own. Without one the tests fail saying how to get it; they never skip.
 */

/** Where Chromium is looked for (as scripts/bootstrap.mjs does): PARLEY_CHROMIUM, else Debian's and Ubuntu's. */
const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Where screenshots are kept (git-ignored test artifacts). */
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

/** The Chromium binary to drive, or an error that says how to install one. */
export function chromiumPath(): string {
  const chosen = process.env['PARLEY_CHROMIUM'];
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`PARLEY_CHROMIUM=${chosen}: no such file`);
    return chosen;
  }
  const found = CHROMIUM_PATHS.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `No Chromium for the web chat's browser test (looked for ${CHROMIUM_PATHS.join(', ')}). ` +
        "Install Debian's package (`apt-get install chromium`; `npm test` runs the bootstrap, which does it as root) " +
        'or set PARLEY_CHROMIUM to a Chromium or Chrome binary.',
    );
  }
  return found;
}

/** Headless Chromium with a fresh profile (playwright gives each launch a new user-data-dir). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Saves a screenshot of the page as test-results/screenshots/<name>.png; answers its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Whether the element has the keyboard focus (inside its shadow root, where the web chat lives). */
export function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate(
    (element: { getRootNode(): unknown }) =>
      (element.getRootNode() as { activeElement: unknown }).activeElement === element,
  );
}

/**
 * A TCP proxy in front of a server, to break connections the way a network does: `cut()` drops every open
 * connection and refuses new ones until `restore()`.
 */
export async function startCuttableProxy(targetPort: number) {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const target = connect(targetPort, '127.0.0.1');
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        target.destroy();
      });
    }
    client.pipe(target).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    cut(): void {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    restore(): void {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake API received. */
export type ReceivedRequest = { method: string; path: string; headers: IncomingHttpHeaders; body: string };

/** What the fake API answers; `hang` keeps the request open until the client gives up. */
export type FakeResponse =
  | { status: number; body?: unknown; raw?: string; headers?: Record<string, string> }
  | { hang: true };

/**
 * A real local HTTP server standing in for an operator's API: it records every request and answers
 * with whatever `respond` returns for it (the nth call gets index n, from 0).
 */
export async function startFakeApi(
  respond: (request: ReceivedRequest, index: number) => FakeResponse | Promise<FakeResponse>,
) {
  const requests: ReceivedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const index = requests.push(received) - 1;
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) waiter.resolve();
      void Promise.resolve(respond(received, index)).then((answer) => {
        if ('hang' in answer) return;
        const payload = answer.raw ?? JSON.stringify(answer.body ?? {});
        res.writeHead(answer.status, {
          'content-type': answer.raw ? 'text/html' : 'application/json',
          ...answer.headers,
        });
        res.end(payload);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Resolves once the server has received `count` requests. */
    received(count: number): Promise<void> {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type FakeApi = Awaited<ReturnType<typeof startFakeApi>>;

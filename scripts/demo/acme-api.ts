import { createServer, type Server } from 'node:http';
import { productImage } from './products';

/**
 * The demo "Acme store" API that `npm start` runs next to Parley: orders with statuses, an inventory (whose list
 * links each product's picture), customers, tickets, handoffs and leads. Requires `Authorization: Bearer <token>`
 * so the demo also shows secrets at work; product pictures (`/images/<sku>.svg`) are public, for browsers.
 */

type Order = {
  id: string;
  status: string;
  eta: string | null;
  items: { sku: string; name: string; quantity: number }[];
};

const ORDERS: Order[] = [
  { id: '12345', status: 'shipped', eta: '2026-11-24', items: [{ sku: 'MUG-01', name: 'Acme mug', quantity: 2 }] },
  {
    id: '23456',
    status: 'processing',
    eta: '2026-11-27',
    items: [{ sku: 'TEE-02', name: 'Acme T-shirt', quantity: 1 }],
  },
  { id: '34567', status: 'delivered', eta: '2026-11-18', items: [{ sku: 'CAP-03', name: 'Acme cap', quantity: 1 }] },
];

const CUSTOMERS = [
  { id: 'c-100', name: 'Ada Lovelace', email: 'ada@example.com', plan: 'gold' },
  { id: 'c-200', name: 'Grace Hopper', email: 'grace@example.com', plan: 'standard' },
];

const INVENTORY = [
  { sku: 'MUG-01', name: 'Acme mug', inStock: 42, price: '$12.00' },
  { sku: 'TEE-02', name: 'Acme T-shirt', inStock: 0, price: '$24.00' },
  { sku: 'CAP-03', name: 'Acme cap', inStock: 7, price: '$18.00' },
];

/** Creates (without listening) the Acme demo API, accepting only `token`. */
export function createAcmeApi(token: string): Server {
  const tickets: { id: string; customerId: string; subject: string }[] = [];
  let handoffs = 0;
  let leads = 0;
  return createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://acme.local');
    const picture = /^\/images\/([A-Za-z0-9-]+)\.svg$/.exec(url.pathname);
    if (req.method === 'GET' && picture) {
      const svg = productImage(picture[1] ?? '');
      res.writeHead(svg ? 200 : 404, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=3600' });
      res.end(svg ?? '');
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: 'missing or wrong API token' });
    const order = /^\/orders\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && order) {
      const found = ORDERS.find((candidate) => candidate.id === decodeURIComponent(order[1] ?? ''));
      return found ? send(200, { data: { order: found } }) : send(404, { error: 'order not found' });
    }
    const item = /^\/inventory\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && item) {
      const found = INVENTORY.find((candidate) => candidate.sku === decodeURIComponent(item[1] ?? '').toUpperCase());
      return found ? send(200, { data: found }) : send(404, { error: 'no such product' });
    }
    if (req.method === 'GET' && url.pathname === '/inventory') {
      // Pictures are linked where this API was reached, so a browser on the same machine can load them.
      const here = `http://${req.headers.host ?? '127.0.0.1'}`;
      const items = INVENTORY.map((entry) => ({ ...entry, image: `${here}/images/${entry.sku}.svg` }));
      return send(200, { data: { items } });
    }
    if (req.method === 'GET' && url.pathname === '/customers') {
      const email = (url.searchParams.get('email') ?? '').toLowerCase();
      const found = CUSTOMERS.find((candidate) => candidate.email === email);
      return found ? send(200, { data: { customer: found } }) : send(404, { error: 'no customer with that email' });
    }
    if (req.method === 'POST' && url.pathname === '/tickets') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        let input: { customer_id?: unknown; subject?: unknown };
        try {
          input = JSON.parse(body) as typeof input;
        } catch {
          return send(400, { error: 'body must be JSON' });
        }
        if (typeof input.customer_id !== 'string' || typeof input.subject !== 'string' || !input.subject.trim()) {
          return send(422, { error: 'customer_id and subject are required' });
        }
        const ticket = { id: `T-${1000 + tickets.length + 1}`, customerId: input.customer_id, subject: input.subject };
        tickets.push(ticket);
        send(201, { data: { ticket: { ...ticket, status: 'open' } } });
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/leads') {
      leads += 1;
      const reference = `L-${1000 + leads}`;
      return send(201, {
        message: `Thanks! Our team will get back to you within one working day (reference ${reference}).`,
        data: { lead: { reference } },
      });
    }
    if (req.method === 'POST' && url.pathname === '/handoffs') {
      handoffs += 1;
      const handoff = {
        reference: `H-${1000 + handoffs}`,
        queue: 'Customer care',
        position: 1,
        expected_wait: 'about 5 minutes',
      };
      return send(201, { data: { handoff } });
    }
    send(404, { error: 'not found' });
  });
}

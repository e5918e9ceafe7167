import { createServer, type Server } from 'node:http';
import { PRODUCT_SKUS, productImage } from './products';
import { DEMO_CHATBOT } from './seed';

/**
 * The demo store page `npm start` serves: an "Acme store" web page with the web chat on it, one script tag talking
 * to the demo chatbot. It is served from its own origin, as an operator's site would be, so the chat's calls are
 * cross-origin and pass only because the demo chatbot allows that origin.
 */

/** The port `npm start` serves the page on. */
export const STORE_PORT = 4011;

/** How the page embeds the web chat. */
export type StorePageOptions = {
  /** The Parley API's origin: widget.js is loaded from there, and the chat talks to it. */
  api: string;
  chatbotId?: string;
  publishableKey?: string;
};

const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The script tag operators copy: widget.js from Parley, configured by data attributes. */
export function widgetTag(options: StorePageOptions): string {
  const attributes: Record<string, string> = {
    src: `${options.api}/widget.js`,
    'data-chatbot': options.chatbotId ?? DEMO_CHATBOT.id,
    'data-key': options.publishableKey ?? DEMO_CHATBOT.publishableKey,
    'data-title': 'Acme help',
    'data-color': '#0f766e',
    'data-lead-form': 'name,email,phone,message',
  };
  const written = Object.entries(attributes).map(([name, value]) => `${name}="${escape(value)}"`);
  return `<script ${written.join(' ')} async></script>`;
}

const PRODUCTS = [
  { sku: 'MUG-01', name: 'Acme mug', price: '$12.00', blurb: 'Holds coffee, tea and big ideas.' },
  { sku: 'TEE-02', name: 'Acme T-shirt', price: '$24.00', blurb: 'Soft cotton, navy blue, one logo.' },
  { sku: 'CAP-03', name: 'Acme cap', price: '$18.00', blurb: 'Keeps the sun out of your eyes.' },
];

/** The page's HTML. */
export function storePage(options: StorePageOptions): string {
  const products = PRODUCTS.map(
    (product) => `
      <article class="product">
        <img src="/images/${product.sku}.svg" alt="${escape(product.name)}" width="250" height="150">
        <h3>${escape(product.name)}</h3>
        <p>${escape(product.blurb)}</p>
        <p class="price">${escape(product.price)} <span class="sku">${product.sku}</span></p>
      </article>`,
  ).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme store</title>
<link rel="icon" type="image/svg+xml" href="/images/MUG-01.svg">
<style>
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2328; background: #fafaf9; }
  header { display: flex; align-items: center; gap: 24px; padding: 16px 32px; background: #fff; border-bottom: 1px solid #e7e5e4; }
  header strong { font-size: 22px; color: #0f766e; }
  nav a { margin-right: 16px; color: #1f2328; }
  main { max-width: 980px; margin: 0 auto; padding: 24px 32px 120px; }
  .hero { padding: 28px; border-radius: 16px; background: #ccfbf1; }
  .hero h1 { margin: 0 0 8px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 20px; margin-top: 24px; }
  .product { background: #fff; border: 1px solid #e7e5e4; border-radius: 14px; overflow: hidden; padding-bottom: 8px; }
  .product img { display: block; width: 100%; height: auto; }
  .product h3, .product p { margin: 8px 16px 0; }
  .price { font-weight: 600; }
  .sku { color: #78716c; font-weight: 400; font-size: 13px; margin-left: 6px; }
  code { background: #f5f5f4; padding: 1px 5px; border-radius: 4px; }
</style>
</head>
<body>
<header>
  <strong>Acme store</strong>
  <nav aria-label="Main"><a href="/">Shop</a><a href="/#orders">Orders</a><a href="/#help">Help</a></nav>
</header>
<main>
  <section class="hero">
    <h1>Everyday things, made well</h1>
    <p id="help">Questions about an order? Open the chat in the corner and try <code>where is my order 12345?</code>,
    <code>Browse products</code>, <code>is CAP-03 in stock?</code> or <code>I want to talk to a human</code>.</p>
  </section>
  <section class="grid" aria-label="Products">${products}
  </section>
</main>
${widgetTag(options)}
</body>
</html>
`;
}

/** Serves the page at `/` and the product pictures at `/images/<sku>.svg` (not listening yet). */
export function createStoreServer(options: StorePageOptions): Server {
  const html = storePage(options);
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://store.local').pathname;
    const picture = /^\/images\/([A-Za-z0-9-]+)\.svg$/.exec(path)?.[1];
    if (req.method === 'GET' && picture && PRODUCT_SKUS.includes(picture)) {
      res.writeHead(200, { 'content-type': 'image/svg+xml' });
      res.end(productImage(picture));
      return;
    }
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
}

import type { ActionDefinitionInput } from '../../shared/actions/action';

/** The demo chatbot `npm start` seeds, and its actions against the Acme store API at `acmeUrl`. */
export const DEMO_CHATBOT = {
  id: 'acme',
  /** Publishable (it sits in the web page of a chat widget), so a fixed demo value is fine. */
  publishableKey: 'pk_demo_acme_0123456789',
  name: 'Acme store assistant',
  greeting: 'Hi! I am the Acme store assistant. I can track orders, check stock and open support tickets.',
  /** "I want to talk to a human": the bot says so, fires `hand_to_person` and stays silent until an agent hands back. */
  handoff: {
    reply: "I'm connecting you with a person from our customer care team. They'll reply here.",
    action: 'hand_to_person',
  },
};

/** The secret the demo actions authenticate with. */
export const DEMO_SECRET = { name: 'acme_token', value: 'demo-acme-token' };

export function demoActions(acmeUrl: string): ActionDefinitionInput[] {
  return [
    {
      name: 'check_order_status',
      title: 'Track an order',
      description: "Look up an order's status when the visitor gives an order number or asks where their order is",
      examples: ['where is my order', 'track order 12345'],
      triggers: [{ type: 'intent' }, { type: 'button', label: 'Track my order' }],
      triggeredResponse: 'Let me look that up.',
      parameters: [
        {
          name: 'order_number',
          type: 'text',
          description: 'Order or tracking number',
          required: true,
          pattern: '^[0-9]{5,10}$',
          prompt: 'What is your order number?',
        },
      ],
      steps: [
        {
          id: 'lookup',
          request: {
            method: 'GET',
            url: `${acmeUrl}/orders/{{order_number}}`,
            headers: { Accept: 'application/json' },
            auth: { type: 'bearer', secret: DEMO_SECRET.name },
          },
          response: { fields: { status: 'data.order.status', eta: 'data.order.eta' } },
          timeoutMs: 10000,
          retry: { maxAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2 },
          onError: { then: 'stop', reply: "Sorry, I couldn't find that order. Please check the number." },
        },
      ],
      reply: { template: 'Order {{order_number}} is {{steps.lookup.status}} (ETA {{steps.lookup.eta}}).' },
    },
    {
      name: 'check_stock',
      title: 'Check stock',
      description: 'Use when the visitor asks whether a product is in stock, by its SKU such as MUG-01',
      examples: ['is this in stock', 'do you have CAP-03'],
      triggers: [{ type: 'intent' }],
      parameters: [
        {
          name: 'sku',
          type: 'text',
          description: 'Product SKU',
          pattern: '^[A-Za-z]{3}-[0-9]{2}$',
          prompt: 'Which product SKU (like MUG-01)?',
        },
      ],
      steps: [
        {
          id: 'stock',
          request: {
            method: 'GET',
            url: `${acmeUrl}/inventory/{{sku}}`,
            auth: { type: 'bearer', secret: DEMO_SECRET.name },
          },
          response: { fields: { name: 'data.name', in_stock: 'data.inStock' } },
          onError: { then: 'stop', reply: "Sorry, I couldn't find that product." },
        },
      ],
      reply: { template: '{{steps.stock.name}}: {{steps.stock.in_stock}} in stock.' },
    },
    {
      name: 'open_support_ticket',
      title: 'Contact support',
      description:
        'Use when the visitor reports a problem, such as a damaged or broken item, or needs help from support',
      examples: ['open a support ticket', 'report a problem'],
      triggers: [{ type: 'intent' }, { type: 'button', label: 'Contact support' }],
      parameters: [
        {
          name: 'email',
          type: 'email',
          description: 'Email address',
          prompt: 'What is the email address on your account?',
        },
        { name: 'issue', type: 'text', description: 'The problem', prompt: 'What went wrong?' },
      ],
      steps: [
        {
          id: 'customer',
          request: {
            method: 'GET',
            url: `${acmeUrl}/customers`,
            query: { email: '{{email}}' },
            auth: { type: 'bearer', secret: DEMO_SECRET.name },
          },
          response: { fields: { id: 'data.customer.id', name: 'data.customer.name' } },
          onError: { then: 'stop', reply: "I couldn't find a customer with that email address." },
        },
        {
          id: 'ticket',
          request: {
            method: 'POST',
            url: `${acmeUrl}/tickets`,
            auth: { type: 'bearer', secret: DEMO_SECRET.name },
            body: { customer_id: '{{steps.customer.id}}', subject: '{{issue}}', channel: 'chat' },
          },
          response: { fields: { ticket_id: 'data.ticket.id' } },
          onError: { then: 'stop', reply: "Sorry, I couldn't open the ticket. Please email support@acme.test." },
        },
      ],
      reply: {
        template:
          "Thanks {{steps.customer.name}}! Ticket {{steps.ticket.ticket_id}} is open; we'll reply to {{email}}.",
      },
    },
    {
      name: 'browse_products',
      title: 'Browse products',
      description:
        'Show the products the store sells, with pictures and prices, when the visitor wants to browse the shop',
      examples: ['show me your products', 'what do you sell'],
      triggers: [{ type: 'intent' }, { type: 'button', label: 'Browse products' }],
      steps: [
        {
          id: 'catalog',
          request: { method: 'GET', url: `${acmeUrl}/inventory`, auth: { type: 'bearer', secret: DEMO_SECRET.name } },
          response: { fields: { items: 'data.items' } },
          onError: { then: 'stop', reply: "Sorry, I can't show the products right now." },
        },
      ],
      // A gallery: one card per product (the web chat shows them one at a time, with previous and next).
      reply: {
        template: 'Here is what we sell:',
        format: 'gallery',
        gallery: {
          items: 'steps.catalog.items',
          card: {
            title: '{{item.name}}',
            subtitle: '{{item.price}}',
            imageUrl: '{{item.image}}',
            fields: [
              { label: 'SKU', value: '{{item.sku}}' },
              { label: 'In stock', value: '{{item.inStock}}' },
            ],
          },
        },
      },
    },
    {
      // Fired by the web chat's lead form; no template: the reply is the API's `message`.
      name: 'request_callback',
      title: 'Request a call back',
      description: "Passes a visitor's contact details from the lead form to the sales team",
      triggers: [{ type: 'lead_captured' }],
      steps: [
        {
          id: 'lead',
          request: {
            method: 'POST',
            url: `${acmeUrl}/leads`,
            auth: { type: 'bearer', secret: DEMO_SECRET.name },
            body: { conversation_id: '{{conversation_id}}', summary: '{{trigger_message}}' },
          },
        },
      ],
    },
    {
      // Fired by the handoff; no template: the reply is the API's data, rendered readably.
      name: 'hand_to_person',
      title: 'Talk to a person',
      description: 'Puts the visitor in the customer care queue when they ask for a person',
      triggers: [{ type: 'handoff' }],
      steps: [
        {
          id: 'queue',
          request: {
            method: 'POST',
            url: `${acmeUrl}/handoffs`,
            auth: { type: 'bearer', secret: DEMO_SECRET.name },
            body: { conversation_id: '{{conversation_id}}' },
          },
        },
      ],
    },
  ];
}

/**
 * Creates the demo chatbot, its secret and actions through the admin API at `api` (idempotent). `storeOrigins` are
 * the origins of the demo store page, whose web chat calls the chat API from the browser (CORS).
 */
export async function seedDemo(
  api: string,
  adminKey: string,
  acmeUrl: string,
  options: { storeOrigins?: string[] } = {},
): Promise<void> {
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok && response.status !== 409)
      throw new Error(`seeding ${method} ${path} failed: ${await response.text()}`);
  };
  await call('POST', '/v1/chatbots', DEMO_CHATBOT);
  const { id, ...settings } = DEMO_CHATBOT;
  await call('PATCH', `/v1/chatbots/${id}`, {
    ...settings,
    ...(options.storeOrigins ? { allowedOrigins: options.storeOrigins } : {}),
  });
  await call('PUT', `/v1/chatbots/${DEMO_CHATBOT.id}/secrets/${DEMO_SECRET.name}`, { value: DEMO_SECRET.value });
  for (const action of demoActions(acmeUrl))
    await call('PUT', `/v1/chatbots/${DEMO_CHATBOT.id}/actions/${action.name}`, action);
}

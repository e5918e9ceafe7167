import { mountChat } from './chat';
import { readConfig, WidgetConfigError } from './config';

/**
 * widget.js: the Parley web chat, added to any page by one script tag. Its data attributes configure it:
 *
 *   <script src="https://chat.example.com/widget.js" data-chatbot="acme" data-key="pk_…" async></script>
 *
 * (data-api, data-title, data-color, data-text-color, data-position, data-lead-form, data-open and data-persist
 * are optional; see README "Web chat").
 */
function start(): void {
  const script =
    (document.currentScript as HTMLScriptElement | null) ??
    document.querySelector<HTMLScriptElement>('script[data-chatbot][src*="widget.js"]');
  if (!script) {
    console.error('Parley web chat: cannot find its <script> tag (give it data-chatbot and data-key)');
    return;
  }
  let config;
  try {
    config = readConfig({ ...script.dataset }, script.src || null, (value) => CSS.supports('color', value));
  } catch (error) {
    if (!(error instanceof WidgetConfigError)) throw error;
    console.error(`Parley web chat: ${error.message}`);
    return;
  }
  const settings = config;
  const mount = () => {
    // One chat per chatbot on a page, even when the tag is included twice.
    const marker = `${settings.apiOrigin} ${settings.chatbotId}`;
    if (
      [...document.querySelectorAll('[data-parley-chat]')].some(
        (node) => node.getAttribute('data-parley-chat') === marker,
      )
    )
      return;
    const host = document.createElement('div');
    host.setAttribute('data-parley-chat', marker);
    document.body.append(host);
    mountChat(settings, host);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
}

start();

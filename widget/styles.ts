/**
 * The web chat's stylesheet. It lives in the widget's shadow root, so the host page's CSS does not reach in and this
 * does not leak out; colours come from the `--accent` and `--on-accent` custom properties (data-color, data-text-color).
 */
export const STYLES = `
:host { all: initial; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.root { position: fixed; bottom: 20px; right: 20px; z-index: 2147483000; display: flex; flex-direction: column;
  align-items: flex-end; gap: 14px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: #1f2328; }
.root.left { right: auto; left: 20px; align-items: flex-start; }
:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.sr { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; border: 0; }
button { font: inherit; }
.launcher { position: relative; width: 58px; height: 58px; border-radius: 50%; border: 0; cursor: pointer;
  background: var(--accent); color: var(--on-accent); box-shadow: 0 6px 18px rgba(0,0,0,.28); display: grid;
  place-items: center; order: 2; }
.launcher svg { width: 28px; height: 28px; }
.badge { position: absolute; top: -4px; right: -4px; min-width: 21px; height: 21px; padding: 0 6px; border-radius: 11px;
  background: #cf222e; color: #fff; font-size: 12px; line-height: 21px; font-weight: 600; }
.badge[hidden] { display: none; }
.panel { order: 1; width: 380px; max-width: calc(100vw - 40px); height: 580px; max-height: calc(100vh - 110px);
  display: flex; flex-direction: column; overflow: hidden; background: #fff; border-radius: 16px;
  box-shadow: 0 12px 48px rgba(0,0,0,.28); }
.panel[hidden] { display: none; }
.header { display: flex; align-items: center; gap: 6px; padding: 12px 10px 12px 16px; background: var(--accent);
  color: var(--on-accent); }
.header h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; }
.header button { border: 0; border-radius: 8px; padding: 6px 9px; background: transparent; color: inherit;
  font-size: 13px; cursor: pointer; display: inline-flex; align-items: center; }
.header button:hover { background: rgba(255,255,255,.18); }
.header button svg { width: 18px; height: 18px; }
.status { margin: 0; padding: 5px 14px; background: #fff8c5; color: #3b2e00; font-size: 13px; }
.status:empty { display: none; }
.log { flex: 1; overflow-y: auto; padding: 14px 12px; display: flex; flex-direction: column; gap: 10px;
  background: #f6f8fa; }
.line { display: flex; flex-direction: column; align-items: flex-start; max-width: 88%; align-self: flex-start; gap: 2px; }
.line.visitor { align-self: flex-end; align-items: flex-end; }
.line.wide { max-width: 100%; }
.who { margin: 0 6px; font-size: 11px; color: #59636e; }
.bubble { padding: 8px 12px; border-radius: 14px; border: 1px solid #d1d9e0; background: #fff; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.visitor .bubble { background: var(--accent); color: var(--on-accent); border-color: transparent; }
.agent .bubble { border-color: #8250df; box-shadow: inset 3px 0 0 #8250df; }
.note { align-self: center; max-width: 100%; font-size: 13px; color: #59636e; text-align: center; }
.note button { margin-top: 6px; }
.error { align-self: flex-end; font-size: 13px; color: #a40e26; display: flex; gap: 8px; align-items: center; }
.bubble a { color: inherit; }
.with-choices { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; }
.choices { display: flex; flex-wrap: wrap; gap: 6px; }
.choice { border: 1px solid var(--accent); border-radius: 18px; padding: 6px 13px; background: #fff; color: #1f2328;
  font-size: 14px; cursor: pointer; text-decoration: none; }
.choice:hover { background: #eef4ff; }
.quick.answered { display: none; }
.card { width: 250px; overflow: hidden; border: 1px solid #d1d9e0; border-radius: 14px; background: #fff; }
.card[hidden] { display: none; }
.card img { display: block; width: 100%; height: 150px; object-fit: cover; background: #eaeef2; }
.card-body { padding: 9px 12px 11px; }
.card h3 { margin: 0; font-size: 15px; }
.card h3 a { color: inherit; }
.card .subtitle { margin: 2px 0 0; color: #59636e; font-size: 13px; }
.card dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 8px 0 0; font-size: 13px; }
.card dt { color: #59636e; }
.card dd { margin: 0; }
.card .choices { margin-top: 8px; }
.gallery-nav { display: flex; align-items: center; justify-content: space-between; margin-top: 6px; width: 250px;
  font-size: 13px; color: #59636e; }
.gallery-nav .nav { width: 34px; height: 34px; border-radius: 50%; border: 1px solid #d1d9e0; background: #fff;
  cursor: pointer; display: grid; place-items: center; color: #1f2328; }
.gallery-nav .nav:disabled { opacity: .4; cursor: default; }
.gallery-nav svg { width: 18px; height: 18px; }
.image img { display: block; max-width: 250px; max-height: 220px; border-radius: 14px; border: 1px solid #d1d9e0; }
.typing .bubble { display: inline-flex; gap: 4px; padding: 12px 14px; }
.typing .dot { width: 7px; height: 7px; border-radius: 50%; background: #8c959f; animation: blink 1.2s infinite; }
.typing .dot:nth-child(2) { animation-delay: .2s; }
.typing .dot:nth-child(3) { animation-delay: .4s; }
@keyframes blink { 0%, 80%, 100% { opacity: .3; } 40% { opacity: 1; } }
.composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #d1d9e0; background: #fff; }
.composer input { flex: 1; min-width: 0; padding: 9px 14px; border: 1px solid #818b98; border-radius: 20px; font: inherit;
  color: inherit; }
.send { width: 40px; height: 40px; flex: none; border: 0; border-radius: 50%; background: var(--accent);
  color: var(--on-accent); cursor: pointer; display: grid; place-items: center; }
.send svg { width: 20px; height: 20px; }
.lead { display: grid; gap: 8px; padding: 12px 14px; border-top: 1px solid #d1d9e0; background: #fff; }
.lead[hidden] { display: none; }
.lead h3 { margin: 0; font-size: 15px; }
.lead label { display: grid; gap: 3px; font-size: 13px; color: #31373d; }
.lead input, .lead textarea { padding: 7px 10px; border: 1px solid #818b98; border-radius: 8px; font: inherit;
  color: inherit; resize: vertical; }
.lead .actions { display: flex; gap: 8px; justify-content: flex-end; }
.lead .problem { margin: 0; color: #a40e26; font-size: 13px; }
.lead .problem:empty { display: none; }
.primary { border: 0; border-radius: 8px; padding: 7px 14px; background: var(--accent); color: var(--on-accent);
  cursor: pointer; }
.secondary { border: 1px solid #d1d9e0; border-radius: 8px; padding: 7px 14px; background: #fff; color: #1f2328;
  cursor: pointer; }
@media (max-width: 480px) {
  .panel { position: fixed; inset: 0; width: auto; height: auto; max-width: none; max-height: none; border-radius: 0; }
  .open .launcher { display: none; }
}
@media (prefers-reduced-motion: reduce) { .typing .dot { animation: none; } }
`;

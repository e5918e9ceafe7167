/**
 * The Acme store's product pictures (small SVGs made here, so the demo loads nothing from elsewhere): the demo API
 * links them from its inventory, and the demo store page shows them.
 */

const PICTURES: Record<string, { background: string; drawing: string }> = {
  'MUG-01': {
    background: '#fde68a',
    drawing:
      '<rect x="90" y="45" width="70" height="75" rx="8" fill="#0f766e"/>' +
      '<path d="M160 62h14a16 16 0 0 1 0 32h-14" fill="none" stroke="#0f766e" stroke-width="9"/>' +
      '<rect x="104" y="70" width="42" height="10" rx="5" fill="#fde68a"/>',
  },
  'TEE-02': {
    background: '#bfdbfe',
    drawing:
      '<path d="M95 40l-35 20 14 26 16-8v60h70V78l16 8 14-26-35-20c-4 12-16 18-30 18s-26-6-30-18z" fill="#1e3a8a"/>' +
      '<circle cx="125" cy="92" r="12" fill="#bfdbfe"/>',
  },
  'CAP-03': {
    background: '#fecaca',
    drawing:
      '<path d="M70 105a55 50 0 0 1 110 0z" fill="#9f1239"/>' +
      '<path d="M170 100h40a8 8 0 0 1 0 12h-40z" fill="#9f1239"/>' +
      '<circle cx="125" cy="55" r="6" fill="#fecaca"/>',
  },
};

/** The SKUs that have a picture. */
export const PRODUCT_SKUS = Object.keys(PICTURES);

/** A product's picture as SVG text (250×150), or null for an unknown SKU. */
export function productImage(sku: string): string | null {
  const picture = PICTURES[sku.toUpperCase()];
  if (!picture) return null;
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 250 150" width="250" height="150">' +
    `<rect width="250" height="150" fill="${picture.background}"/>${picture.drawing}</svg>`
  );
}

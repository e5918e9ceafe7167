import type { ActionDefinition } from './action';

/**
 * The visitor-facing name of an action: its `title`, or its name made readable ("check_order_status" and
 * "checkOrderStatus" → "Check order status"). The description is written for the machine and never shown.
 */
export function actionTitle(action: Pick<ActionDefinition, 'name' | 'title'>): string {
  if (action.title) return action.title;
  const words = action.name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

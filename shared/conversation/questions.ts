import type { ParameterDefinition } from '../actions/parameter-schema';

/**
 * The question that asks a visitor for a parameter when the operator wrote no `prompt`: written from the
 * parameter's description (or name) and type, so "The visitor's order number" asks "What is your order number?"
 * and "Number of guests" asks "How many guests?". Pure.
 */

/** Whose a value is, as descriptions written for the machine say it: dropped, the question says "your". */
const OWNER =
  /^(?:(?:the|a|an)\s+)?(?:visitor|customer|user|client|caller|person|shopper|buyer)(?:'s|’s|s')?\s+|^your\s+/i;
const ARTICLE = /^(?:the|a|an)\s+/i;
/** Things that belong to the visitor even when the description does not say so. */
const PERSONAL =
  /^(?:(?:full|first|last|given|family|user|account)\s+)?(?:name|e-?mail(?: address)?|phone(?: number)?|mobile(?: number)?|address|postcode|post code|zip(?: code)?|date of birth|birthday|age|username|account(?: number| id)?|order number)\b/i;
/** Descriptions longer than this are instructions for the router, not a noun to ask about: the name is used. */
const MAX_LABEL = 60;

function words(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_+/g, ' ')
    .trim()
    .toLowerCase();
}

/** The noun phrase a question asks about, and whether it belongs to the visitor. */
export function parameterLabel(param: Pick<ParameterDefinition, 'name' | 'description'>): {
  label: string;
  personal: boolean;
} {
  let label = param.description.trim().replace(/[.:]+$/, '');
  if (label === '' || label.length > MAX_LABEL || /[?!]/.test(label)) label = words(param.name);
  let personal = false;
  if (OWNER.test(label)) {
    label = label.replace(OWNER, '');
    personal = true;
  }
  label = label.replace(ARTICLE, '');
  // Keep acronyms ("SKU", "VAT number") as written; lower-case an ordinary first word.
  if (!/^[A-Z]{2}/.test(label)) label = label.charAt(0).toLowerCase() + label.slice(1);
  return { label, personal: personal || PERSONAL.test(label) };
}

function list(values: string[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} or ${values[values.length - 1] as string}`;
}

/** A natural question for a parameter without a prompt. */
export function naturalQuestion(param: ParameterDefinition): string {
  const description = param.description.trim();
  if (description.endsWith('?') && description.length <= 200) return description;
  const { label, personal } = parameterLabel(param);
  const whose = personal ? 'your' : 'the';
  switch (param.type) {
    case 'email':
      return /mail address/i.test(label) ? `What is ${whose} ${label}?` : `What is your email address?`;
    case 'phone':
      return /number/i.test(label) ? `What is ${whose} ${label}?` : 'What is your phone number?';
    case 'number': {
      const count = /^(?:number|count|amount) of\s+(.+)$/i.exec(label);
      if (count) return `How many ${count[1] as string}?`;
      return `What is ${whose} ${label}?`;
    }
    case 'date':
      return /date|day|birthday/i.test(label) ? `What is ${whose} ${label}?` : `What date is ${whose} ${label}?`;
    case 'boolean':
      return `${label.charAt(0).toUpperCase()}${label.slice(1)}? (yes or no)`;
    case 'enum':
      return `Which ${label}: ${list(param.values ?? [])}?`;
    case 'text':
      return param.array ? `Which ${label}? (you can list several)` : `What is ${whose} ${label}?`;
  }
}

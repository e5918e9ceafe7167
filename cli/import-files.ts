import { parseDocument } from 'yaml';
import { isJsonObject, type JsonObject } from '../shared/json';
import { secretEnvName } from './export-files';
import { actionFilePath, configText, type ConfigFormat } from './layout';

/**
 * What `import` writes, as pure functions of what the API answered and what the folder holds: one file per draft in
 * the layout `apply` reads, and the drafts' new secrets added to the chatbot file, each named with the environment
 * variable `apply` reads its value from (never the value: the import does not have it).
 */

/** A draft as the import answers it. */
export type Draft = { name: string } & Record<string, unknown>;
/** A secret a draft uses. */
export type DraftSecret = { name: string; hosts: string[]; from: string };

/** The file of a draft: its definition without the name the file name gives. */
export function draftFile(chatbotId: string, draft: Draft, format: ConfigFormat): { path: string; text: string } {
  const { name, ...definition } = draft;
  return { path: actionFilePath(chatbotId, name, format), text: configText(definition, format) };
}

/**
 * A chatbot file's text with the secrets it does not name yet added under `secrets` (comments and order kept in
 * YAML); answers the secrets it added.
 */
export function withSecrets(
  text: string,
  format: ConfigFormat,
  secrets: readonly DraftSecret[],
): { text: string; added: DraftSecret[] } {
  const reference = (secret: DraftSecret) => ({
    env: secretEnvName(secret.name),
    ...(secret.hosts.length > 0 ? { hosts: secret.hosts } : {}),
  });
  if (format === 'json') {
    const value = JSON.parse(text) as unknown;
    const chatbot: JsonObject = isJsonObject(value) ? value : {};
    const known = isJsonObject(chatbot['secrets']) ? chatbot['secrets'] : {};
    const added = secrets.filter((secret) => !(secret.name in known));
    if (added.length === 0) return { text, added };
    const next = { ...chatbot, secrets: { ...known, ...Object.fromEntries(added.map((s) => [s.name, reference(s)])) } };
    return { text: configText(next, 'json'), added };
  }
  const document = parseDocument(text);
  const known = document.get('secrets');
  const has = (name: string) => known !== undefined && known !== null && document.hasIn(['secrets', name]);
  const added = secrets.filter((secret) => !has(secret.name));
  if (added.length === 0) return { text, added };
  if (known === undefined || known === null) document.set('secrets', document.createNode({}));
  for (const secret of added) document.setIn(['secrets', secret.name], document.createNode(reference(secret)));
  return { text: document.toString({ lineWidth: 120 }), added };
}

import { ActionDefinitionSchema } from '../shared/actions/action';
import { ChatbotInputSchema } from '../shared/chatbot';
import { isJsonObject, type JsonObject } from '../shared/json';
import { actionFilePath, chatbotFilePath, configText, type ConfigFormat } from './layout';
import { currentDefinition, currentSettings, type CurrentChatbot } from './plan';
import { withoutDefaults } from './values';

/**
 * A chatbot as the API holds it, written as configuration files that `apply` reads back unchanged: defaults left
 * out, the folder and file names as the chatbot id and action names, and each secret as the environment variable its
 * value is to come from (values never leave the API).
 */

/** The environment variable an exported secret's value is read from: its name in capitals (`acme_token` → `ACME_TOKEN`). */
export function secretEnvName(secretName: string): string {
  return secretName.toUpperCase();
}

/** What a chatbot file holds for a chatbot the API has. */
export function chatbotDocument(current: CurrentChatbot): JsonObject {
  const settings = withoutDefaults(ChatbotInputSchema, currentSettings(current.chatbot));
  const document: JsonObject = isJsonObject(settings) ? { ...settings } : {};
  if (current.secrets.length > 0) {
    document['secrets'] = Object.fromEntries(
      current.secrets.map((secret) => [
        secret.name,
        { env: secretEnvName(secret.name), ...(secret.hosts.length > 0 ? { hosts: secret.hosts } : {}) },
      ]),
    );
  }
  return document;
}

/** What an action file holds for a stored definition (its name is the file's). */
export function actionDocument(definition: unknown): JsonObject {
  const minimal = withoutDefaults(ActionDefinitionSchema, currentDefinition(definition));
  if (!isJsonObject(minimal)) return {};
  const { name: _name, ...rest } = minimal;
  return rest;
}

/** Every file of one chatbot's export, by path relative to the export folder. */
export function exportFiles(
  chatbotId: string,
  current: CurrentChatbot,
  format: ConfigFormat,
): { path: string; text: string }[] {
  return [
    { path: chatbotFilePath(chatbotId, format), text: configText(chatbotDocument(current), format) },
    ...current.actions.map((action) => ({
      path: actionFilePath(chatbotId, action.name, format),
      text: configText(actionDocument(action.definition), format),
    })),
  ];
}

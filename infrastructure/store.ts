import { randomBytes, randomUUID } from 'node:crypto';
import { MongoServerError, type Db } from 'mongodb';
import type { ActionDefinition, StoredAction } from '../shared/actions/action';
import { upgradeAction } from '../shared/actions/upgrade';
import type { Chatbot, ChatbotInput, ChatbotPatch } from '../shared/chatbot';
import type { SecretHostBindings } from '../shared/security/secret-hosts';
import type { ActionCatalog } from '../shared/conversation/state';
import type { RouterModel } from '../shared/understanding/model';
import { maskSecret, openSecret, sealSecret, type KeyRing, type SealedSecret } from './secret-box';

/**
 * Parley's MongoDB repository: chatbots, versioned actions, conversation records and secrets.
 * Uses only what FerretDB 1.24 supports (CRUD, unique indexes, findOneAndUpdate): no transactions.
 */

type ChatbotDoc = Omit<Chatbot, 'id'> & { _id: string; routerJson?: string; emailRouterJson?: string };
type ActionDoc = {
  _id: string;
  chatbotId: string;
  name: string;
  version: number;
  definitionJson: string;
  updatedAt: string;
};
type ActionVersionDoc = {
  _id: string;
  chatbotId: string;
  name: string;
  version: number;
  definitionJson: string;
  savedAt: string;
};
type ConversationDoc = { _id: string; chatbotId: string; tokenHash: string; createdAt: string };
type SecretDoc = {
  _id: string;
  chatbotId: string;
  name: string;
  sealed: SealedSecret;
  hosts: string[];
  updatedAt: string;
};

/** What the HTTP activity gets for the secrets it uses: values, and the hosts each may be sent to. */
export type SecretsForCall = { values: Record<string, string>; hosts: SecretHostBindings };

/** A secret as the admin API lists it: never the value, only a masked hint. */
export type SecretView = { name: string; masked: string; hosts: string[]; updatedAt: string };

/** A conversation's record outside Temporal: which chatbot it belongs to and the hash of its token. */
export type ConversationRecord = { id: string; chatbotId: string; tokenHash: string; createdAt: string };

/** Thrown when a unique key is already taken. */
export class DuplicateError extends Error {
  override readonly name = 'DuplicateError';
}

const actionKey = (chatbotId: string, name: string) => `${chatbotId}:${name}`;

function toChatbot(doc: ChatbotDoc): Chatbot {
  // The trained routers are the catalogue's (loadCatalog), never part of what a chatbot reads as.
  const { _id, routerJson: _router, emailRouterJson: _emailRouter, ...rest } = doc;
  // Chatbots stored before these settings existed get their defaults.
  return {
    ...rest,
    allowedOrigins: rest.allowedOrigins ?? [],
    egressAllowlist: rest.egressAllowlist ?? [],
    smallTalk: rest.smallTalk ?? {},
    handoff: rest.handoff ?? null,
    turnDeadlineSeconds: rest.turnDeadlineSeconds ?? null,
    publishableKey: rest.publishableKey ?? '',
    id: _id,
  };
}

/**
 * A stored action, its definition parsed once and brought to the current schema (null when it no longer
 * validates). Definitions are stored as JSON text: operators' body templates may use keys MongoDB treats
 * specially ($, .).
 */
function toStoredAction(doc: ActionDoc): StoredAction | null {
  const definition = upgradeAction(JSON.parse(doc.definitionJson));
  return definition && { chatbotId: doc.chatbotId, version: doc.version, updatedAt: doc.updatedAt, definition };
}

/** Creates the repository over a database handle. */
/**
 * Creates the repository. Secrets are sealed with AES-256-GCM under the key ring's current key (bound to their
 * chatbot and name) and opened only for the HTTP activity and for masking.
 */
export function createStore(db: Db, options: { secretKeys: KeyRing; clock?: () => Date }) {
  const clock = options.clock ?? (() => new Date());
  const chatbots = db.collection<ChatbotDoc>('chatbots');
  const actions = db.collection<ActionDoc>('actions');
  const actionVersions = db.collection<ActionVersionDoc>('action_versions');
  const conversations = db.collection<ConversationDoc>('conversations');
  const secrets = db.collection<SecretDoc>('secrets');
  const now = () => clock().toISOString();

  async function listActions(chatbotId: string): Promise<StoredAction[]> {
    return (await actions.find({ chatbotId }).sort({ name: 1 }).toArray()).flatMap((doc) => toStoredAction(doc) ?? []);
  }

  return {
    /** Creates the indexes Parley relies on; safe to call at every start. */
    async ensureIndexes(): Promise<void> {
      await actions.createIndex({ chatbotId: 1, name: 1 }, { unique: true });
      await actionVersions.createIndex({ chatbotId: 1, name: 1, version: 1 }, { unique: true });
      await conversations.createIndex({ chatbotId: 1, createdAt: -1 });
      await secrets.createIndex({ chatbotId: 1, name: 1 }, { unique: true });
    },

    /** Answers when MongoDB does. */
    async ping(): Promise<void> {
      await db.command({ ping: 1 });
    },

    async createChatbot(
      input: Omit<ChatbotInput, 'smallTalk' | 'handoff' | 'turnDeadlineSeconds'> &
        Partial<Pick<ChatbotInput, 'smallTalk' | 'handoff' | 'turnDeadlineSeconds'>> & { id: string },
    ): Promise<Chatbot> {
      const at = now();
      const doc: ChatbotDoc = {
        _id: input.id,
        name: input.name,
        greeting: input.greeting,
        idleTimeoutMinutes: input.idleTimeoutMinutes,
        rateLimitPerMinute: input.rateLimitPerMinute,
        publishableKey: input.publishableKey ?? `pk_${randomBytes(18).toString('base64url')}`,
        allowedOrigins: input.allowedOrigins,
        egressAllowlist: input.egressAllowlist,
        smallTalk: input.smallTalk ?? {},
        handoff: input.handoff ?? null,
        turnDeadlineSeconds: input.turnDeadlineSeconds ?? null,
        catalogRevision: randomUUID(),
        createdAt: at,
        updatedAt: at,
      };
      try {
        await chatbots.insertOne(doc);
      } catch (error) {
        if (error instanceof MongoServerError && error.code === 11000)
          throw new DuplicateError(`chatbot ${input.id} already exists`);
        throw error;
      }
      return toChatbot(doc);
    },

    async getChatbot(id: string): Promise<Chatbot | null> {
      const doc = await chatbots.findOne({ _id: id });
      return doc ? toChatbot(doc) : null;
    },

    async listChatbots(): Promise<Chatbot[]> {
      return (await chatbots.find().sort({ _id: 1 }).toArray()).map(toChatbot);
    },

    async updateChatbot(id: string, patch: ChatbotPatch): Promise<Chatbot | null> {
      const doc = await chatbots.findOneAndUpdate(
        { _id: id },
        { $set: { ...patch, updatedAt: now() } },
        { returnDocument: 'after' },
      );
      return doc ? toChatbot(doc) : null;
    },

    /** Deletes a chatbot with its actions and secrets. Its conversations' records stay for their workflows. */
    async deleteChatbot(id: string): Promise<boolean> {
      const { deletedCount } = await chatbots.deleteOne({ _id: id });
      await actions.deleteMany({ chatbotId: id });
      await secrets.deleteMany({ chatbotId: id });
      return deletedCount === 1;
    },

    /** Saves a new version of an action; `created` tells whether it is the first. */
    async putAction(
      chatbotId: string,
      definition: ActionDefinition,
    ): Promise<{ created: boolean; action: StoredAction }> {
      const at = now();
      const doc = await actions.findOneAndUpdate(
        { _id: actionKey(chatbotId, definition.name) },
        {
          $set: { chatbotId, name: definition.name, definitionJson: JSON.stringify(definition), updatedAt: at },
          $inc: { version: 1 },
        },
        { upsert: true, returnDocument: 'after' },
      );
      if (!doc) throw new Error(`action ${definition.name} was not saved`);
      try {
        await actionVersions.insertOne({
          _id: `${actionKey(chatbotId, definition.name)}:${doc.version}`,
          chatbotId,
          name: definition.name,
          version: doc.version,
          definitionJson: doc.definitionJson,
          savedAt: at,
        });
      } catch (error) {
        // Two saves of one action at the same moment drew the same version (FerretDB updates are not atomic).
        if (error instanceof MongoServerError && error.code === 11000) {
          throw new DuplicateError(
            `action ${definition.name} was saved by another request at the same time; save it again`,
          );
        }
        throw error;
      }
      return { created: doc.version === 1, action: { chatbotId, version: doc.version, updatedAt: at, definition } };
    },

    async getAction(chatbotId: string, name: string): Promise<StoredAction | null> {
      const doc = await actions.findOne({ _id: actionKey(chatbotId, name) });
      return doc ? toStoredAction(doc) : null;
    },

    listActions,

    async deleteAction(chatbotId: string, name: string): Promise<boolean> {
      const { deletedCount } = await actions.deleteOne({ _id: actionKey(chatbotId, name) });
      return deletedCount === 1;
    },

    /**
     * Publishes the chatbot's catalogue after its actions changed: the routers trained on them (chat's, and email's
     * when an action is offered by email) and a new revision
     * (a fresh token, not a counter: FerretDB does not apply concurrent $inc atomically, and a lost increment could
     * leave a conversation holding a stale catalogue under a revision that looks current).
     */
    async publishCatalog(
      chatbotId: string,
      router: RouterModel,
      emailRouter: RouterModel | null = null,
    ): Promise<void> {
      const revision = { routerJson: JSON.stringify(router), catalogRevision: randomUUID(), updatedAt: now() };
      await chatbots.updateOne(
        { _id: chatbotId },
        emailRouter
          ? { $set: { ...revision, emailRouterJson: JSON.stringify(emailRouter) } }
          : { $set: revision, $unset: { emailRouterJson: '' } },
      );
    },

    /** The chatbot's current actions with the revision they belong to; null when the chatbot is gone. */
    async loadCatalog(chatbotId: string): Promise<ActionCatalog | null> {
      const chatbot = await chatbots.findOne({ _id: chatbotId });
      if (!chatbot) return null;
      const stored = await listActions(chatbotId);
      const catalog: ActionCatalog = {
        revision: chatbot.catalogRevision,
        actions: stored.map((action) => ({ version: action.version, definition: action.definition })),
      };
      const { routerJson, emailRouterJson } = chatbot;
      return {
        ...catalog,
        ...(routerJson ? { router: JSON.parse(routerJson) as RouterModel } : {}),
        ...(emailRouterJson ? { emailRouter: JSON.parse(emailRouterJson) as RouterModel } : {}),
      };
    },

    async createConversation(record: ConversationRecord): Promise<void> {
      const { id, ...rest } = record;
      await conversations.insertOne({ _id: id, ...rest });
    },

    async getConversation(id: string): Promise<ConversationRecord | null> {
      const doc = await conversations.findOne({ _id: id });
      if (!doc) return null;
      const { _id, ...rest } = doc;
      return { id: _id, ...rest };
    },

    /** Seals and stores a secret's value (write-only through the API), with the hosts it may be sent to. */
    async putSecret(
      chatbotId: string,
      name: string,
      value: string,
      hosts: string[] = [],
    ): Promise<{ created: boolean }> {
      const sealed = sealSecret(options.secretKeys, chatbotId, name, value);
      const result = await secrets.updateOne(
        { _id: actionKey(chatbotId, name) },
        { $set: { chatbotId, name, sealed, hosts, updatedAt: now() } },
        { upsert: true },
      );
      return { created: result.upsertedCount === 1 };
    },

    /** The chatbot's secrets, masked. */
    async listSecrets(chatbotId: string): Promise<SecretView[]> {
      const docs = await secrets.find({ chatbotId }).sort({ name: 1 }).toArray();
      return docs.map((doc) => ({
        name: doc.name,
        masked: maskSecret(openSecret(options.secretKeys, chatbotId, doc.name, doc.sealed)),
        hosts: doc.hosts ?? [],
        updatedAt: doc.updatedAt,
      }));
    },

    async deleteSecret(chatbotId: string, name: string): Promise<boolean> {
      const { deletedCount } = await secrets.deleteOne({ _id: actionKey(chatbotId, name) });
      return deletedCount === 1;
    },

    /** The values of the named secrets that exist, and their host bindings; used only inside the HTTP activity. */
    async readSecrets(chatbotId: string, names: string[]): Promise<SecretsForCall> {
      if (names.length === 0) return { values: {}, hosts: {} };
      const docs = await secrets.find({ _id: { $in: names.map((name) => actionKey(chatbotId, name)) } }).toArray();
      const values: Record<string, string> = {};
      const hosts: SecretHostBindings = {};
      for (const doc of docs) {
        values[doc.name] = openSecret(options.secretKeys, chatbotId, doc.name, doc.sealed);
        if (doc.hosts?.length) hosts[doc.name] = doc.hosts;
      }
      return { values, hosts };
    },
  };
}

/** Parley's repository. */
export type Store = ReturnType<typeof createStore>;

// Where approval cards go: Teams conversations registered for reviewer groups (the bot was added there, or someone
// sent it `register [group]`), kept in the config database (`teams_conversations`), plus those named in config.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { TeamsConversationConfig } from '../../config/schema.js';
import { WardenError, errorMessage } from '../../errors.js';

/** The group key for conversations that take every group without a conversation of its own. */
export const ANY_GROUP = '*';

/**
 * What the bot needs to post into a conversation later (a botbuilder `ConversationReference`, trimmed): no activity
 * id, so cards are new posts rather than replies to the message that registered the conversation.
 */
export interface StoredConversationReference {
  channelId: string;
  serviceUrl: string;
  conversation: {
    id: string;
    tenantId?: string;
    isGroup?: boolean;
    conversationType?: string;
    name?: string;
  };
  bot?: { id: string; name?: string };
}

/** One conversation cards go to, and where it came from. */
export interface TeamsConversation {
  /** A group name, or `*`. */
  group: string;
  reference: StoredConversationReference;
  tenantId?: string;
  /** `config`, or who registered it (reviewer id and Entra object id). */
  registeredBy: string;
  /** ISO-8601; absent for config entries. */
  registeredAt?: string;
  source: 'config' | 'registered';
}

interface ConversationRow {
  group_name: string;
  reference: string;
  tenant_id: string | null;
  registered_by: string;
  registered_at: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS teams_conversations (
    group_name    TEXT PRIMARY KEY,
    reference     TEXT NOT NULL,
    tenant_id     TEXT,
    registered_by TEXT NOT NULL,
    registered_at TEXT NOT NULL
  );
`;

/**
 * Teams conversations by group, on the config database (its own connection). Registering a group again replaces its
 * conversation: the latest `register` wins.
 */
export class TeamsConversationStore {
  readonly path: string;
  private readonly db: Database.Database;

  constructor(file: string, options: { readonly?: boolean } = {}) {
    this.path = file === ':memory:' ? file : path.resolve(file);
    const readonly = options.readonly ?? false;
    try {
      if (!readonly && this.path !== ':memory:') mkdirSync(path.dirname(this.path), { recursive: true });
      const db = new Database(this.path, { readonly, fileMustExist: readonly, timeout: 5_000 });
      db.pragma('busy_timeout = 5000');
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        db.transaction(() => db.exec(SCHEMA)).immediate();
      }
      this.db = db;
    } catch (error) {
      const hint = readonly
        ? 'the database is created by `warden serve` or `warden review` on first use; check --db or `database` in the config'
        : 'check that the folder is writable and `database` in the config';
      throw new WardenError(
        'APPROVALS_OPEN',
        `cannot open the Teams conversations in ${this.path}: ${errorMessage(error)}; ${hint}`,
        { cause: error },
      );
    }
  }

  /** Stores (or replaces) the conversation of `group`. */
  register(
    conversation: Omit<TeamsConversation, 'source' | 'registeredAt'> & { registeredAt: string },
  ): void {
    try {
      this.db
        .prepare(
          `INSERT INTO teams_conversations (group_name, reference, tenant_id, registered_by, registered_at)
           VALUES (@group, @reference, @tenant, @by, @at)
           ON CONFLICT (group_name) DO UPDATE SET reference = excluded.reference, tenant_id = excluded.tenant_id,
             registered_by = excluded.registered_by, registered_at = excluded.registered_at`,
        )
        .run({
          group: conversation.group,
          reference: JSON.stringify(conversation.reference),
          tenant: conversation.tenantId ?? null,
          by: conversation.registeredBy,
          at: conversation.registeredAt,
        });
    } catch (error) {
      throw new WardenError(
        'APPROVALS_WRITE',
        `cannot register the Teams conversation for ${conversation.group} in ${this.path}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  /** The registered conversation of `group` (or `*`), if any. */
  get(group: string): TeamsConversation | undefined {
    if (!this.hasTable()) return undefined;
    const row = this.db.prepare('SELECT * FROM teams_conversations WHERE group_name = ?').get(group) as
      ConversationRow | undefined;
    return row && toConversation(row);
  }

  /** Every registered conversation, by group name (`*` first). */
  list(): TeamsConversation[] {
    if (!this.hasTable()) return [];
    const rows = this.db
      .prepare('SELECT * FROM teams_conversations ORDER BY group_name')
      .all() as ConversationRow[];
    return rows.map(toConversation);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** A read-only store on a database no bot has written to yet has no table: it lists nothing. */
  private hasTable(): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'teams_conversations'")
        .get() !== undefined
    );
  }
}

function toConversation(row: ConversationRow): TeamsConversation {
  const conversation: TeamsConversation = {
    group: row.group_name,
    reference: JSON.parse(row.reference) as StoredConversationReference,
    registeredBy: row.registered_by,
    registeredAt: row.registered_at,
    source: 'registered',
  };
  if (row.tenant_id !== null) conversation.tenantId = row.tenant_id;
  return conversation;
}

/** Opens the conversation store on the config database (creating its table unless read-only). Close it when done. */
export function openTeamsConversationStore(
  file: string,
  options: { readonly?: boolean } = {},
): TeamsConversationStore {
  return new TeamsConversationStore(file, options);
}

/** The conversations named under `teams.conversations`, as references. */
export function configuredConversations(
  conversations: Readonly<Record<string, TeamsConversationConfig>>,
  botId?: string,
): TeamsConversation[] {
  return Object.entries(conversations).map(([group, entry]) => {
    const reference: StoredConversationReference = {
      channelId: 'msteams',
      serviceUrl: entry.serviceUrl,
      conversation: { id: entry.conversationId, isGroup: true },
    };
    if (entry.tenantId !== undefined) reference.conversation.tenantId = entry.tenantId;
    if (botId) reference.bot = { id: botId };
    const conversation: TeamsConversation = { group, reference, registeredBy: 'config', source: 'config' };
    if (entry.tenantId !== undefined) conversation.tenantId = entry.tenantId;
    return conversation;
  });
}

/** The groups a request's reviewer specs name (`group:dba` → dba); `user:` specs name none. */
export function reviewerGroups(reviewerSpecs: readonly string[]): string[] {
  return [
    ...new Set(
      reviewerSpecs.flatMap((spec) => (spec.startsWith('group:') ? [spec.slice('group:'.length)] : [])),
    ),
  ];
}

/**
 * Where a request's card goes: for each group its specs name, that group's conversation (config first, then
 * registered), else the `*` conversation (config first, then registered); a request naming only users goes to `*`.
 * Each conversation once. Empty when none is known: the caller fails the notification.
 */
export function pickConversations(
  reviewerSpecs: readonly string[],
  lookup: (group: string) => TeamsConversation | undefined,
): TeamsConversation[] {
  const groups = reviewerGroups(reviewerSpecs);
  const onlyGroups = reviewerSpecs.length > 0 && reviewerSpecs.every((spec) => spec.startsWith('group:'));
  const wanted = onlyGroups ? groups : [...groups, ANY_GROUP];
  const picked = new Map<string, TeamsConversation>();
  for (const group of wanted) {
    const found = lookup(group) ?? lookup(ANY_GROUP);
    if (found && !picked.has(conversationKey(found.reference)))
      picked.set(conversationKey(found.reference), found);
  }
  return [...picked.values()];
}

/** A conversation's identity across references: service URL and conversation id (without a thread's message id). */
export function conversationKey(
  reference: Pick<StoredConversationReference, 'serviceUrl' | 'conversation'>,
): string {
  return `${reference.serviceUrl}\u0000${baseConversationId(reference.conversation.id)}`;
}

/**
 * The conversation id without `;messageid=…`: a channel message's conversation is its thread; posting to the channel
 * itself starts a new thread per card.
 */
export function baseConversationId(id: string): string {
  const at = id.indexOf(';messageid=');
  return at === -1 ? id : id.slice(0, at);
}

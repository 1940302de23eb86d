// `warden teams conversations`: where the Teams bot posts approval cards, per reviewer group: conversations named in
// the config (`teams.conversations`) and those registered in Teams (`register [group]`, or adding the bot).
import path from 'node:path';
import type { Command } from 'commander';
import {
  configuredConversations,
  openTeamsConversationStore,
  type TeamsConversation,
} from '../approvals/teams/conversations.js';
import { loadConfigFile, resolveConfigPath } from '../config/load.js';
import { errorMessage } from '../errors.js';
import { type DatabaseOptions, formatTable, printable, withDatabaseOptions } from './database-options.js';

/** Where the teams commands write. Defaults to the process's streams; tests pass their own. */
export interface TeamsCliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** A conversation as listed: whether cards for its group go there (the config wins over a registration). */
export interface ListedConversation extends TeamsConversation {
  inUse: boolean;
}

/** Config entries first, then registrations; a registration for a group the config also names is not in use. */
export function listConversations(
  configured: readonly TeamsConversation[],
  registered: readonly TeamsConversation[],
): ListedConversation[] {
  const named = new Set(configured.map((c) => c.group));
  return [
    ...configured.map((c) => ({ ...c, inUse: true })),
    ...registered.map((c) => ({ ...c, inUse: !named.has(c.group) })),
  ];
}

/** A fixed-width table, without a trailing newline. Names from Teams are shown escaped. */
export function formatConversationTable(conversations: readonly ListedConversation[]): string {
  if (conversations.length === 0) {
    return '(no Teams conversations: add the bot to the reviewers\' team and send it "register <group>", or name one under teams.conversations)';
  }
  const header = [
    'GROUP',
    'IN USE',
    'SOURCE',
    'CONVERSATION',
    'SERVICE URL',
    'TENANT',
    'REGISTERED BY',
    'AT (UTC)',
  ];
  const rows = conversations.map((c) =>
    [
      c.group,
      c.inUse ? 'yes' : 'no (config wins)',
      c.source,
      c.reference.conversation.name
        ? `${c.reference.conversation.id} (${c.reference.conversation.name})`
        : c.reference.conversation.id,
      c.reference.serviceUrl,
      c.tenantId ?? c.reference.conversation.tenantId ?? '-',
      c.registeredBy,
      c.registeredAt ? c.registeredAt.replace('T', ' ').slice(0, 19) : '-',
    ].map(printable),
  );
  return formatTable(header, rows);
}

/** Registers `warden teams …` on the program. */
export function registerTeamsCommands(
  program: Command,
  io: TeamsCliIo = { stdout: process.stdout, stderr: process.stderr },
): void {
  const teams = program
    .command('teams')
    .description('the Microsoft Teams bot: where approval cards are posted');

  withDatabaseOptions(teams.command('conversations'))
    .description(
      'list the Teams conversations approval cards go to, per reviewer group ("*": every group without its own)',
    )
    .option('--json', 'JSON Lines: one conversation (with its conversation reference) per line')
    .action((_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DatabaseOptions & { json?: boolean }>();
      let store: ReturnType<typeof openTeamsConversationStore> | undefined;
      try {
        let database: string;
        let configured: TeamsConversation[] = [];
        if (options.db !== undefined && options.config === undefined) {
          database = path.resolve(options.db);
        } else {
          const { config } = loadConfigFile(resolveConfigPath(options.config), process.env, {
            serversNeeded: false,
          });
          database = options.db !== undefined ? path.resolve(options.db) : config.database;
          configured = configuredConversations(config.teams?.conversations ?? {});
        }
        store = openTeamsConversationStore(database, { readonly: true });
        const listed = listConversations(configured, store.list());
        if (options.json) {
          for (const conversation of listed) io.stdout.write(`${JSON.stringify(conversation)}\n`);
        } else {
          io.stdout.write(`${formatConversationTable(listed)}\n`);
        }
      } catch (error) {
        io.stderr.write(`warden: ${errorMessage(error)}\n`);
        process.exitCode = 1;
      } finally {
        store?.close();
      }
    });
}

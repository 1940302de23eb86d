// The settings of the Teams bot, apart from the bot itself so its handlers can name them without a circular import.
import type { Logger } from '../../log.js';
import type { ApprovalBroker, AuditSink } from '../broker.js';
import type { Reviewer } from '../types.js';
import type { TeamsConfig } from './config.js';

export interface TeamsBotOptions {
  teams: TeamsConfig;
  broker: ApprovalBroker;
  reviewers: readonly Reviewer[];
  /** Group name → reviewer ids (config `groups`): who may register a group's conversation. */
  groups: Readonly<Record<string, readonly string[]>>;
  /** The config database: registered conversations are kept there (`teams_conversations`). */
  database: string;
  /** Where the review service listens: local-only mode (no app id) needs a loopback address. */
  host: string;
  logger?: Logger;
  now?: () => Date;
  /** Registrations are recorded here (`teams.conversation_registered`). */
  audit?: AuditSink;
}

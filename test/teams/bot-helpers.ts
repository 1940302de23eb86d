// Shared setup for the Teams bot's functional tests: a config in a temp folder with Teams in local-only mode, a Bot
// Connector stand-in as the service URL, a real review service with the HTTP API and Teams channels, a gateway-side
// broker to create requests, and builders for the activities Teams posts to `/api/messages`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { callInput } from '../approvals/helpers.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openAuditStore } from '../../src/audit/index.js';
import {
  openApprovalBroker,
  type ApprovalBroker,
  type CreateApprovalInput,
} from '../../src/approvals/broker.js';
import { httpApiChannel } from '../../src/approvals/channel.js';
import { reviewersFromConfig } from '../../src/approvals/identity.js';
import {
  startReviewService,
  type ReviewService,
  type ReviewServiceOptions,
} from '../../src/approvals/review-service.js';
import { teamsChannel } from '../../src/approvals/teams/factory.js';
import type { ApprovalRequest } from '../../src/approvals/types.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { WardenConfig } from '../../src/config/schema.js';
import { call, eventually, type HttpAnswer } from '../approvals/http/helpers.js';
import {
  startConnectorStandIn,
  type ConnectorStandIn,
  type ConnectorStandInOptions,
} from './connector-standin.js';

export { eventually };

export const TENANT = '72f988bf-0000-4000-8000-000000000001';
export const OTHER_TENANT = '0badbad0-0000-4000-8000-000000000002';
export const BOT = { id: '28:warden-bot-id', name: 'Warden' };

/** People in Teams: their Entra object ids and Teams user ids. Alice is the requester (the principal). */
export const PEOPLE = {
  alice: { id: '29:alice', name: 'Alice', aadObjectId: 'aaaaaaaa-0000-4000-8000-00000000000a' },
  bob: { id: '29:bob', name: 'Bob Builder', aadObjectId: 'bbbbbbbb-0000-4000-8000-00000000000b' },
  carol: { id: '29:carol', name: 'Carol', aadObjectId: 'cccccccc-0000-4000-8000-00000000000c' },
  /** A configured reviewer outside group dba. */
  dave: { id: '29:dave', name: 'Dave', aadObjectId: 'dddddddd-0000-4000-8000-00000000000d' },
  /** Someone in the team Warden knows nothing about. */
  mallory: { id: '29:mallory', name: 'Mallory', aadObjectId: 'eeeeeeee-0000-4000-8000-00000000000e' },
} as const;

export type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

/** The dba channel (a Teams channel conversation id) and the team it is in. */
export const DBA_CHANNEL = '19:dba-channel@thread.tacv2';
export const OPS_CHAT = '19:ops-group-chat@thread.v2';

function configYaml(extraTeams: string, localOnly: boolean): string {
  const { alice, bob, carol, dave } = PEOPLE;
  return `
principal: { id: alice@example.com, name: Alice, email: alice@example.com, entraObjectId: ${alice.aadObjectId} }
database: warden.db
policies: [policy.yaml]
servers: {}
reviewers:
  alice: { name: Alice, email: alice@example.com, entraObjectId: ${alice.aadObjectId} }
  bob: { name: Bob Builder, email: bob@example.com, entraObjectId: ${bob.aadObjectId} }
  carol: { name: Carol, email: carol@example.com, entraObjectId: ${carol.aadObjectId} }
  dave: { name: Dave, email: dave@example.com, entraObjectId: ${dave.aadObjectId} }
groups:
  dba: [alice, bob, carol]
  ops: [dave]
review: { host: 127.0.0.1, port: 0 }
logLevel: silent
teams:
  localOnly: ${localOnly}
  tenantId: ${TENANT}
  serviceUrls: [127.0.0.1]
${extraTeams}`;
}

export interface BotBed {
  dir: string;
  config: WardenConfig;
  connector: ConnectorStandIn;
  service: ReviewService;
  /** A broker on the same database, as a gateway process has. */
  gateway: ApprovalBroker;
  /** Creates a request as the gateway does for a call whose action is `approve`. */
  createRequest(overrides?: Partial<CreateApprovalInput>): ApprovalRequest;
  /** Posts an activity to the bot, as Teams does. */
  post(activity: Record<string, unknown>): Promise<HttpAnswer>;
  /** The audit events of a request, in order. */
  events(requestId: string): Array<{ type: string; data: Record<string, unknown> }>;
}

export interface BotBedOptions {
  /** More lines under `teams:` (indented by two spaces); `{serviceUrl}` and `{login}` name the stand-in. */
  teams?: string;
  /** `teams.localOnly` (default true: no app id). */
  localOnly?: boolean;
  connector?: ConnectorStandInOptions;
  service?: Partial<ReviewServiceOptions>;
}

/** A fresh folder, stand-in, service and gateway per test; all closed afterwards. */
export function useBotBed(): (options?: BotBedOptions) => Promise<BotBed> {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return async (options = {}) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-teams-test-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const connector = await startConnectorStandIn(options.connector);
    cleanups.push(() => connector.close());
    const configPath = path.join(dir, 'warden.yaml');
    const teams = (options.teams ?? '')
      .replaceAll('{serviceUrl}', connector.serviceUrl)
      .replaceAll('{login}', connector.loginUrl(TENANT));
    writeFileSync(configPath, configYaml(teams, options.localOnly ?? true));
    writeFileSync(path.join(dir, 'policy.yaml'), 'rules: []\n');
    const { config } = loadConfigFile(configPath, {});
    const service = await startReviewService({
      config,
      channels: [httpApiChannel, teamsChannel],
      tickMs: 40,
      notifyRetryDelaysMs: [20, 20],
      ...options.service,
    });
    cleanups.push(() => service.close());
    const audit = openAuditStore(config.database);
    const gateway = openApprovalBroker({
      database: config.database,
      audit,
      reviewers: reviewersFromConfig(config.reviewers),
      groups: config.groups,
      requester: config.principal,
    });
    cleanups.push(() => {
      gateway.close();
      audit.close();
    });
    let counter = 0;
    return {
      dir,
      config,
      connector,
      service,
      gateway,
      createRequest(overrides = {}) {
        counter += 1;
        return gateway.createRequest(
          callInput(`req-${counter}`, {
            // As a live gateway: its pid is alive, so nothing marks the request abandoned.
            argsHash: 'f'.repeat(64),
            risk: 'high',
            reason: 'drops a production table',
            rules: ['db-destructive'],
            agent: { name: 'claude-code', version: '1.0.0' },
            gatewayPid: process.pid,
            ...overrides,
          }),
        );
      },
      post: (activity) => call(service, 'POST', '/api/messages', { body: activity }),
      events(requestId) {
        const store = openAuditStore(config.database, { readonly: true });
        try {
          return [...store.events()]
            .filter((e) => e.requestId === requestId)
            .map((e) => ({ type: e.type, data: e.data }));
        } finally {
          store.close();
        }
      },
    };
  };
}

let sequence = 0;
const nextId = () => `f:${(sequence += 1)}`;

/** Where an activity happens: the dba channel (a thread in it), or the ops group chat. */
export interface Place {
  conversationId: string;
  conversationType: 'channel' | 'groupChat' | 'personal';
  serviceUrl: string;
  tenantId?: string;
}

export function dbaChannel(serviceUrl: string, tenantId = TENANT): Place {
  return { conversationId: DBA_CHANNEL, conversationType: 'channel', serviceUrl, tenantId };
}

/** The fields every Teams activity carries. */
function base(place: Place, from: Person, threadOf?: string) {
  // In a channel every message is in a thread: the conversation id names the thread's first message.
  const thread = threadOf ?? String(Date.now());
  const threadId = `${place.conversationId}${place.conversationType === 'channel' ? `;messageid=${thread}` : ''}`;
  return {
    id: nextId(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: place.serviceUrl,
    from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
    recipient: { ...BOT },
    conversation: {
      id: threadId,
      isGroup: place.conversationType !== 'personal',
      conversationType: place.conversationType,
      ...(place.tenantId ? { tenantId: place.tenantId } : {}),
    },
    channelData: {
      ...(place.conversationType === 'channel'
        ? {
            teamsChannelId: place.conversationId,
            teamsTeamId: '19:team@thread.tacv2',
            channel: { id: place.conversationId },
            team: { id: '19:team@thread.tacv2' },
          }
        : {}),
      ...(place.tenantId ? { tenant: { id: place.tenantId } } : {}),
    },
  };
}

/** A message @-mentioning the bot, as Teams delivers it from a channel. */
export function messageActivity(place: Place, from: Person, text: string): Record<string, unknown> {
  const mention = `<at>${BOT.name}</at>`;
  return {
    ...base(place, from),
    type: 'message',
    text: `${mention} ${text}`,
    textFormat: 'plain',
    entities: [{ type: 'mention', text: mention, mentioned: { ...BOT } }],
  };
}

/** The bot added to a team or chat by `from`. */
export function membersAddedActivity(place: Place, from: Person): Record<string, unknown> {
  const activity = base(place, from);
  return {
    ...activity,
    type: 'conversationUpdate',
    membersAdded: [{ id: BOT.id }],
    channelData: { ...activity.channelData, eventType: 'teamMemberAdded' },
  };
}

/** An `adaptiveCard/action` invoke: a click on an Action.Execute button (inputs merged into `data`) or a refresh. */
export function cardAction(
  place: Place,
  from: Person,
  options: {
    verb: string;
    data: Record<string, unknown>;
    cardActivityId: string;
    trigger?: 'manual' | 'automatic';
  },
): Record<string, unknown> {
  return {
    // A card posted in a channel starts a thread: clicks on it come from that thread.
    ...base(place, from, options.cardActivityId),
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId: options.cardActivityId,
    value: {
      action: { type: 'Action.Execute', verb: options.verb, data: options.data },
      trigger: options.trigger ?? 'manual',
    },
  };
}

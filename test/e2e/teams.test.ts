// The whole loop with Teams, every part real but Teams itself: an SDK client calls through `warden serve`, the call
// is parked, `warden review` posts the card to a local Bot Connector stand-in, a reviewer clicks Approve (a real
// adaptiveCard/action invoke to /api/messages), the agent's call completes, and the card is replaced for everyone.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { startConnectorStandIn, type ConnectorStandIn } from '../teams/connector-standin.js';
import { DBA_CHANNEL, PEOPLE, TENANT, cardAction, dbaChannel } from '../teams/bot-helpers.js';
import { startReview, type ReviewProcess } from './approvals-harness.js';
import {
  FIXTURE_SERVER,
  startWarden,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
  type WardenHarness,
} from './harness.js';

const POLICY = `
rules:
  - id: echo-needs-dba
    match: { server: fx, tool: echo }
    risk: high
    action: approve
    reason: Echo needs a DBA
    reviewers: [group:dba]
`;

describe('approving in Teams, end to end', () => {
  let connector: ConnectorStandIn | undefined;
  let review: ReviewProcess | undefined;
  let warden: WardenHarness | undefined;
  afterEach(async () => {
    await warden?.close();
    await review?.stop();
    await connector?.close();
  });

  it('posts the card, runs the call when a reviewer approves in it, and replaces the card for everyone', async () => {
    connector = await startConnectorStandIn();
    const dir = tempDir('warden-teams-e2e-');
    const statePath = path.join(dir, 'state.jsonl');
    const options = {
      dir,
      servers: { fx: { command: process.execPath, args: [FIXTURE_SERVER, '--state-file', statePath] } },
      policy: POLICY,
      config: {
        principal: {
          id: 'alice@example.com',
          email: 'alice@example.com',
          entraObjectId: PEOPLE.alice.aadObjectId,
        },
        reviewers: {
          bob: { name: 'Bob Builder', email: 'bob@example.com', entraObjectId: PEOPLE.bob.aadObjectId },
        },
        groups: { dba: ['bob'] },
        approvals: { heartbeat: '200ms', poll: '100ms', holdLimits: { default: '20s' } },
        review: { host: '127.0.0.1', port: 0 },
        teams: {
          localOnly: true,
          tenantId: TENANT,
          serviceUrls: ['127.0.0.1'],
          conversations: {
            dba: { serviceUrl: connector.serviceUrl, conversationId: DBA_CHANNEL, tenantId: TENANT },
          },
        },
      },
    };
    const { configPath } = writeConfig(options);
    review = await startReview(configPath);
    warden = await startWarden(options);

    const call = warden.client.callTool(
      { name: 'fx__echo', arguments: { text: 'vacuum the orders table' } },
      CallToolResultSchema,
      { onprogress: () => undefined, resetTimeoutOnProgress: true },
    );

    const posted = await waitFor(
      () => connector!.callsOf('sendToConversation')[0],
      10_000,
      'the card to be posted',
    );
    const cardJson = JSON.stringify(posted.body);
    expect(cardJson).toContain('application/vnd.microsoft.card.adaptive');
    expect(cardJson).toContain('fx__echo');
    expect(cardJson).toContain('vacuum the orders table');
    const card = posted.body.attachments[0].content;
    const data = card.refresh.action.data as { requestId: string; nonce: string };
    expect(Object.keys(data).sort()).toEqual(['nonce', 'requestId']);
    const activityId = posted.response.id as string;

    const response = await fetch(`${review.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        cardAction(dbaChannel(connector.serviceUrl), PEOPLE.bob, {
          verb: 'warden.approve',
          data: { ...data, comment: '' },
          cardActivityId: activityId,
        }),
      ),
    });
    expect(response.status).toBe(200);

    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('vacuum the orders table');
    const ran = existsSync(statePath)
      ? readFileSync(statePath, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { event: string; name?: string })
          .filter((l) => l.event === 'call' && l.name === 'echo')
      : [];
    expect(ran).toHaveLength(1);

    // Replaced for everyone: the posted activity now says who approved it and how long the call ran, no buttons.
    const final = await waitFor(
      () => {
        const now = JSON.stringify(connector!.activity(DBA_CHANNEL, activityId));
        return /ran in/.test(now) ? now : undefined;
      },
      10_000,
      'the card to show the run',
    );
    expect(final).toMatch(/Approved by Bob Builder/);
    expect(final).not.toContain('Action.Execute');
    const events = (await warden.callEvents('fx__echo')).map((e) => e.type);
    expect(events).toEqual(
      expect.arrayContaining(['approval.notified', 'approval.decision', 'approval.approved', 'call.outcome']),
    );
  });
});

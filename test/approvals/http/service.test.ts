// The review service's loop: notifying channels (and failing closed when one cannot be reached), keeping cards
// current, telling gateways it is alive, and losing nothing across a restart.
import { describe, expect, test } from 'vitest';
import type { ApprovalChannel, ChannelFactory } from '../../../src/approvals/channel.js';
import { startReviewService } from '../../../src/approvals/review-service.js';
import type { ApprovalRequestView } from '../../../src/approvals/types.js';
import { call, eventually, TOKENS, useTestBed } from './helpers.js';

const bed = useTestBed();

/** A fake channel (the channel is not what is under test): records what the service asked of it. */
function recordingChannel(name: string, behaviour: { failNotify?: boolean } = {}) {
  const notified: Array<{ id: string; at: number }> = [];
  const updated: ApprovalRequestView[] = [];
  let closed = false;
  const channel: ApprovalChannel = {
    name,
    notify: async (request) => {
      notified.push({ id: request.id, at: Date.now() });
      if (behaviour.failNotify) throw new Error('502 Bad Gateway from the chat service');
      return { messageId: `msg-${request.id}`, details: { conversation: 'c-1' } };
    },
    update: async (request) => {
      updated.push(request);
    },
    close: async () => {
      closed = true;
    },
  };
  const factory: ChannelFactory = () => ({ channel });
  return { factory, notified, updated, isClosed: () => closed };
}

/** Carol, a reviewer in dba, rejects the request from the chat channel. */
function carolRejects(bedNow: ReturnType<typeof bed>, id: string): void {
  bedNow
    .gateway()
    .decide(
      id,
      { reviewerId: 'carol', kind: 'email', value: 'carol@example.com', channel: 'chat' },
      'reject',
      'not today',
    );
}

describe('notifying reviewers', () => {
  test('records each new pending request as notified on the HTTP API channel, once', async () => {
    const bedNow = bed();
    await bedNow.start();
    const request = bedNow.createRequest();
    const notified = await eventually(() =>
      bedNow.gateway().notifications(request.id).length > 0
        ? bedNow.gateway().notifications(request.id)
        : undefined,
    );
    expect(notified).toMatchObject([{ channel: 'http-api' }]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(bedNow.gateway().notifications(request.id)).toHaveLength(1);
    expect(bedNow.events(request.id).filter((e) => e.type === 'approval.notified')).toHaveLength(1);
  });

  test('fails a request closed after 3 attempts when a channel cannot notify, with the reason', async () => {
    const bedNow = bed();
    const failing = recordingChannel('chat', { failNotify: true });
    await bedNow.start({ channels: [failing.factory] });
    const request = bedNow.createRequest();

    const failed = await eventually(() => {
      const now = bedNow.gateway().get(request.id);
      return now?.status === 'failed' ? now : undefined;
    });
    expect(failing.notified.map((n) => n.id)).toEqual([request.id, request.id, request.id]);
    const [first, second, third] = failing.notified.map((n) => n.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(190);
    expect(third - second).toBeGreaterThanOrEqual(390);
    expect(failed.outcomeReason).toBe(
      'could not notify reviewers on chat: 502 Bad Gateway from the chat service',
    );
    expect(bedNow.events(request.id).find((e) => e.type === 'approval.failed')?.data).toMatchObject({
      reason: 'could not notify reviewers on chat: 502 Bad Gateway from the chat service',
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(failing.notified).toHaveLength(3);
  });

  test('does not post twice when a post that timed out succeeds after all', async () => {
    const bedNow = bed();
    const posts: number[] = [];
    const slow: ApprovalChannel = {
      name: 'chat',
      // The first post answers after the timeout (the chat service was slow, not down); any later one at once.
      notify: async (request) => {
        posts.push(Date.now());
        if (posts.length === 1) await new Promise((resolve) => setTimeout(resolve, 300));
        return { messageId: `msg-${request.id}-${posts.length}` };
      },
    };
    await bedNow.start({ channels: [() => ({ channel: slow })], notifyTimeoutMs: 150 });
    const request = bedNow.createRequest();
    const notices = await eventually(() => {
      const found = bedNow.gateway().notifications(request.id);
      return found.length > 0 ? found : undefined;
    });
    expect(notices).toMatchObject([{ channel: 'chat', messageId: `msg-${request.id}-1` }]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(posts).toHaveLength(1);
    expect(bedNow.gateway().get(request.id)?.status).toBe('pending');
  });

  test('updates a channel when a notified request changes, and closes it on stop', async () => {
    const bedNow = bed();
    const chat = recordingChannel('chat');
    const service = await bedNow.start({ channels: [chat.factory] });
    const request = bedNow.createRequest();
    await eventually(() => (chat.notified.length > 0 ? true : undefined));
    expect(bedNow.gateway().notifications(request.id)).toMatchObject([
      { channel: 'chat', messageId: `msg-${request.id}`, details: { conversation: 'c-1' } },
    ]);

    bedNow
      .gateway()
      .decide(
        request.id,
        { reviewerId: 'bob', kind: 'email', value: 'bob@example.com', channel: 'chat' },
        'ask',
        'why now?',
      );
    await eventually(() => (chat.updated.some((r) => r.messages.length === 1) ? true : undefined));
    carolRejects(bedNow, request.id);
    await eventually(() => (chat.updated.some((r) => r.status === 'rejected') ? true : undefined));

    await service.close();
    expect(chat.isClosed()).toBe(true);
  });
});

describe('several review services on one database', () => {
  test('post each request once, and the survivor keeps the card current when the poster stops', async () => {
    const bedNow = bed();
    const first = recordingChannel('chat');
    const second = recordingChannel('chat');
    const services = [
      await bedNow.start({ channels: [first.factory] }),
      await bedNow.start({ channels: [second.factory] }),
    ];
    const request = bedNow.createRequest();
    await eventually(() => (first.notified.length + second.notified.length > 0 ? true : undefined));
    // Several ticks of both services later, still one card.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(first.notified.length + second.notified.length).toBe(1);
    expect(bedNow.gateway().notifications(request.id)).toHaveLength(1);

    const [poster, survivor] = first.notified.length === 1 ? [0, 1] : [1, 0];
    const survivorChannel = [first, second][survivor]!;
    await services[poster]!.close();
    // The survivor takes the post over (it brings the card up to date at once) and follows the request from then on.
    await eventually(() => (survivorChannel.updated.length > 0 ? true : undefined));
    carolRejects(bedNow, request.id);
    await eventually(() => (survivorChannel.updated.some((r) => r.status === 'rejected') ? true : undefined));
    expect(survivorChannel.notified).toHaveLength(0);
  });
});

describe('lifecycle', () => {
  test('tells gateways it is alive while it runs, and that it is gone once closed', async () => {
    const bedNow = bed();
    const gateway = bedNow.gateway();
    expect(gateway.liveReviewService(3_000)).toBe(false);
    const service = await bedNow.start();
    expect(gateway.liveReviewService(3_000)).toBe(true);
    await service.close();
    expect(gateway.liveReviewService(3_000)).toBe(false);
  });

  test('loses nothing across a restart: pending requests are still listed and decidable', async () => {
    const bedNow = bed();
    const first = await bedNow.start();
    const request = bedNow.createRequest();
    await eventually(() => (bedNow.gateway().notifications(request.id).length > 0 ? true : undefined));
    await first.close();

    const second = await bedNow.start();
    const listed = await call(second, 'GET', '/api/requests?status=pending', { token: TOKENS.bob });
    expect(listed.json.requests.map((r: { id: string }) => r.id)).toEqual([request.id]);
    const decided = await call(second, 'POST', `/api/requests/${request.id}/decision`, {
      token: TOKENS.bob,
      body: { decision: 'approve' },
    });
    expect(decided.status).toBe(200);
    // Not notified twice on the same channel.
    expect(bedNow.gateway().notifications(request.id)).toHaveLength(1);
  });

  test('after a restart, refreshes cards of requests notified before instead of posting them again', async () => {
    const bedNow = bed();
    const before = recordingChannel('chat');
    const first = await bedNow.start({ channels: [before.factory] });
    const request = bedNow.createRequest();
    await eventually(() => (before.notified.length > 0 ? true : undefined));
    await first.close();
    bedNow
      .gateway()
      .decide(
        request.id,
        { reviewerId: 'bob', kind: 'email', value: 'bob@example.com', channel: 'chat' },
        'ask',
        'while nobody was watching?',
      );

    const after = recordingChannel('chat');
    await bedNow.start({ channels: [after.factory] });
    const refreshed = await eventually(() => after.updated.find((r) => r.id === request.id));
    expect(refreshed.messages).toMatchObject([{ kind: 'question', text: 'while nobody was watching?' }]);
    expect(after.notified).toEqual([]);
  });

  test('expires overdue requests without anyone deciding', async () => {
    const bedNow = bed();
    await bedNow.start();
    const request = bedNow.createRequest({ timeoutMs: 100 });
    const expired = await eventually(() => {
      const now = bedNow.gateway().get(request.id);
      return now?.status === 'expired' ? now : undefined;
    });
    expect(expired.outcomeReason).toMatch(/^expired: no decision within/);
    expect(bedNow.events(request.id).map((e) => e.type)).toContain('approval.expired');
  });

  test('fails to start, leaving nothing open, when the port is taken', async () => {
    const bedNow = bed();
    const first = await bedNow.start();
    await expect(startReviewService({ config: bedNow.config, port: first.address.port })).rejects.toThrow(
      /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
    );
  });
});

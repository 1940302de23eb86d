// The cancellation of one tool call: cheap until used, and the same to its listeners whether they subscribed or asked
// for an AbortSignal.
import { describe, expect, it } from 'vitest';
import { CallCancel, signalCancel } from '../../../src/gateway/wire/cancel.js';

describe('CallCancel', () => {
  it('tells each listener once, in the order they subscribed, with the reason', () => {
    const cancel = new CallCancel();
    const heard: string[] = [];
    cancel.onCancel((reason) => heard.push(`first:${String(reason)}`));
    cancel.onCancel((reason) => heard.push(`second:${String(reason)}`));
    expect(cancel.aborted).toBe(false);
    cancel.cancel('user pressed stop');
    cancel.cancel('again');
    expect(heard).toEqual(['first:user pressed stop', 'second:user pressed stop']);
    expect(cancel).toMatchObject({ aborted: true, reason: 'user pressed stop' });
  });

  it('does not tell a listener that unsubscribed', () => {
    const cancel = new CallCancel();
    const heard: string[] = [];
    const stop = cancel.onCancel(() => heard.push('gone'));
    cancel.onCancel(() => heard.push('kept'));
    stop();
    cancel.cancel('x');
    expect(heard).toEqual(['kept']);
  });

  it('tells a listener that subscribes after the cancel at once', () => {
    const cancel = new CallCancel();
    cancel.cancel('late');
    const heard: unknown[] = [];
    cancel.onCancel((reason) => heard.push(reason));
    expect(heard).toEqual(['late']);
  });

  it('gives an AbortSignal that aborts with it, whether asked for before or after the cancel', () => {
    const before = new CallCancel();
    const signal = before.signal;
    expect(before.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    before.cancel('stop');
    expect(signal).toMatchObject({ aborted: true, reason: 'stop' });

    const after = new CallCancel();
    after.cancel('stopped earlier');
    expect(after.signal).toMatchObject({ aborted: true, reason: 'stopped earlier' });
  });
});

describe('signalCancel', () => {
  it('follows an AbortSignal someone else owns, and lets a listener unsubscribe', () => {
    const controller = new AbortController();
    const cancel = signalCancel(controller.signal);
    const heard: unknown[] = [];
    cancel.onCancel((reason) => heard.push(`kept:${String(reason)}`));
    cancel.onCancel((reason) => heard.push(`gone:${String(reason)}`))();
    expect(cancel.aborted).toBe(false);
    controller.abort('from the SDK');
    expect(heard).toEqual(['kept:from the SDK']);
    expect(cancel).toMatchObject({ aborted: true, reason: 'from the SDK', signal: controller.signal });
    const late: unknown[] = [];
    cancel.onCancel((reason) => late.push(reason));
    expect(late).toEqual(['from the SDK']);
  });
});

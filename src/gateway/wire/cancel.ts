// Cancellation of one tool call. An AbortController per call is costly at Warden's call rates (creating and
// collecting AbortSignals, adding and removing their listeners measured about 8 µs of CPU per call), and nearly all
// calls are never cancelled. A CallCancel costs one small object until a cancel happens or something asks for a
// real AbortSignal (the approval wait does; forwarding does not).

/** What a call's handlers see of its cancellation. */
export interface CancelToken {
  readonly aborted: boolean;
  /** Why it was cancelled (the client's reason), once aborted. */
  readonly reason: unknown;
  /** An AbortSignal that aborts with the call, for APIs that need one; made on first use. */
  readonly signal: AbortSignal;
  /** Calls `listener` once when the call is cancelled (at once if it already was); returns the unsubscribe. */
  onCancel(listener: (reason: unknown) => void): () => void;
}

const NOTHING = (): void => undefined;

/** The cancellation the owner of a call controls (the tools/call fast path). */
export class CallCancel implements CancelToken {
  private abortedWith: { reason: unknown } | undefined;
  private listeners: Array<(reason: unknown) => void> | undefined;
  private controller: AbortController | undefined;

  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  get reason(): unknown {
    return this.abortedWith?.reason;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  onCancel(listener: (reason: unknown) => void): () => void {
    if (this.abortedWith) {
      listener(this.abortedWith.reason);
      return NOTHING;
    }
    const listeners = (this.listeners ??= []);
    listeners.push(listener);
    return () => {
      const index = listeners.indexOf(listener);
      if (index !== -1) listeners.splice(index, 1);
    };
  }

  /** Cancels once: listeners run in the order they subscribed, then the signal (if any) aborts. */
  cancel(reason: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason };
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) listener(reason);
    this.controller?.abort(reason);
  }
}

/** A CancelToken over an AbortSignal someone else owns (the SDK's, or the approval gate's). */
export function signalCancel(signal: AbortSignal): CancelToken {
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason as unknown;
    },
    signal,
    onCancel(listener) {
      if (signal.aborted) {
        listener(signal.reason);
        return NOTHING;
      }
      const onAbort = () => listener(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      return () => signal.removeEventListener('abort', onAbort);
    },
  };
}

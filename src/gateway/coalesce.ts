// Write coalescing for stdio transports: messages sent in the same turn of the event loop leave in one writev
// instead of one write syscall each. Under concurrency this is most of what a gateway does per call.
import type { Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * Corks `stream` at a transport's first send in a turn and uncorks it once the turn's other callbacks have run.
 * Order is kept (cork only buffers); backpressure still works (the SDK waits for 'drain' after the uncork).
 */
export function coalesceWrites(transport: Transport, stream: Writable): void {
  const send = transport.send.bind(transport);
  let corked = false;
  transport.send = (message, options) => {
    if (!corked && !stream.destroyed) {
      corked = true;
      stream.cork();
      setImmediate(() => {
        corked = false;
        stream.uncork();
      });
    }
    return send(message, options);
  };
}

/**
 * The child's stdin of an SDK StdioClientTransport once started. The SDK keeps it private, so this reads the field
 * defensively: when a future SDK renames it, coalescing is simply skipped.
 */
export function childStdin(transport: Transport): Writable | undefined {
  const child = (transport as unknown as { _process?: { stdin?: Writable | null } })._process;
  return child?.stdin ?? undefined;
}

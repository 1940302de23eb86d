// resources/read and prompts/get: not tool calls, but an agent reads data through them (a server that offers
// file:// resources hands out files), so they are judged and recorded like calls. The policy sees them as the tool
// `resources/read` with args `{ uri }`, or `prompts/get` with args `{ name, arguments }`, on their server; the audit
// log gets the same intent, denial and outcome events as a tool call. They cannot wait for a human (the methods have
// no pending result), so an `approve` verdict refuses them, fail closed, and says how to reach the data instead.
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '../errors.js';
import type { CallIntentData } from '../audit/types.js';
import { canonicalJson, sha256Hex } from '../redact/index.js';
import type { DownstreamConnection } from './downstream.js';
import {
  auditRule,
  intentText,
  newRequestId,
  outcomeEvent,
  redactorCache,
  type PipelineDeps,
} from './pipeline.js';
import { maskedValues, resultExcerpt } from './result-excerpt.js';
import { jsonRpcErrorMessage, wireError } from './wire/tool-calls.js';

/** The methods judged here, as the policy sees them (the `tool` a rule matches). */
export type GuardedMethod = 'resources/read' | 'prompts/get';

export interface GuardedRead {
  method: GuardedMethod;
  /** Configured server name. */
  server: string;
  connection: DownstreamConnection;
  /** What the agent asked for: a URI, or `<server>__<prompt>`. */
  exposedName: string;
  /** The arguments the policy and the log see: `{ uri }`, or `{ name, arguments }` with the server's prompt name. */
  args: Record<string, unknown>;
  /** The params sent downstream. */
  params: Record<string, unknown>;
  signal: AbortSignal;
}

type Deps = Pick<PipelineDeps, 'policy' | 'audit' | 'principal' | 'sessionId' | 'agent' | 'excerptChars'>;

/** What a result holds, as tool-result content, for the excerpt: resource contents, or prompt messages. */
function asContent(method: GuardedMethod, result: Record<string, unknown>): Record<string, unknown> {
  const items = method === 'resources/read' ? result.contents : result.messages;
  if (!Array.isArray(items)) return { content: [] };
  const content = (items as Array<Record<string, unknown>>).map((item) => {
    if (method === 'prompts/get') return (item.content ?? {}) as Record<string, unknown>;
    return typeof item.text === 'string' ? { type: 'text', text: item.text } : { type: 'blob' };
  });
  return { content };
}

/** Creates the handler that judges, records and forwards one resources/read or prompts/get. */
export function createGuardedReads(deps: Deps): (read: GuardedRead) => Promise<Record<string, unknown>> {
  const redactor = redactorCache();

  return async function guardedRead(read: GuardedRead): Promise<Record<string, unknown>> {
    const requestId = newRequestId();
    const policy = deps.policy.current;
    const redact = redactor(policy);
    const argsText = canonicalJson(read.args);
    const redactedArgs = redact(read.args);
    const verdict = policy.evaluate({
      server: read.server,
      tool: read.method,
      args: read.args,
      redactedArgs,
    });
    const rules = verdict.matches.map(auditRule);
    const intent: CallIntentData = {
      action: verdict.action,
      agent: deps.agent(),
      args: redactedArgs,
      argsBytes: Buffer.byteLength(argsText),
      argsHash: sha256Hex(argsText),
      exposedName: read.exposedName,
      policyVersion: verdict.policyVersion,
      principal: deps.principal,
      reason: verdict.reason,
      risk: verdict.risk,
      rules,
      server: read.server,
      tool: read.method,
    };
    const what =
      read.method === 'resources/read'
        ? `reading resource "${read.exposedName}"`
        : `prompt "${read.exposedName}"`;
    try {
      await deps.audit.appendDurable({
        type: 'call.intent',
        requestId,
        sessionId: deps.sessionId,
        data: intent as unknown as Record<string, unknown>,
        dataText: intentText(intent, canonicalJson(deps.principal), canonicalJson(intent.agent)),
      });
    } catch (error) {
      throw wireError(
        ErrorCode.InternalError,
        `Warden could not write its audit log (${errorMessage(error)}), so it did not forward ${what}`,
      );
    }

    if (verdict.action !== 'allow') {
      const summary = `risk ${verdict.risk}, rule ${verdict.decidingRule}`;
      const reason =
        verdict.action === 'approve'
          ? `${verdict.reason} (${summary}): it needs human approval, and ${read.method} cannot wait for one, so it is refused; ask the operator to allow it in the policy, or use a tool that reads the same data`
          : `${verdict.reason} (${summary})`;
      deps.audit.append({
        type: 'call.denied',
        requestId,
        sessionId: deps.sessionId,
        data: { reason, risk: verdict.risk, action: verdict.action, rules: rules.map((r) => r.ruleId) },
      });
      throw wireError(ErrorCode.InvalidRequest, `Warden denied ${what}: ${reason}`);
    }

    const started = performance.now();
    const duration = () => Math.round((performance.now() - started) * 1000) / 1000;
    try {
      const result = await read.connection.request(read.method, read.params, { signal: read.signal });
      const ms = duration();
      deps.audit.appendLater(() =>
        outcomeEvent(
          requestId,
          deps.sessionId,
          'ok',
          {
            isError: false,
            resultBytes: Buffer.byteLength(JSON.stringify(result)),
            excerpt: resultExcerpt(
              asContent(read.method, result),
              redact,
              maskedValues(read.args, redactedArgs),
              deps.excerptChars,
            ),
          },
          ms,
        ),
      );
      return result;
    } catch (error) {
      const status = read.signal.aborted ? 'cancelled' : 'failed';
      deps.audit.append(
        outcomeEvent(
          requestId,
          deps.sessionId,
          status,
          { error: String(redact(jsonRpcErrorMessage(error))) },
          duration(),
        ),
      );
      throw error;
    }
  };
}

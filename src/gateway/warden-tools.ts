// Warden's own MCP tools, listed beside the downstream tools when approvals are on. They let the agent wait for a
// decision and answer a reviewer's question. Security: nothing here can approve: decisions never travel over MCP.
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ApprovalGate, WaitContext } from './approval-gate.js';

export const AWAIT_APPROVAL_TOOL = 'warden__await_approval';
export const REPLY_TOOL = 'warden__reply';

const ID_PROPERTY = { type: 'string', description: 'The approval request id Warden gave you.' } as const;

export const WARDEN_TOOLS: Tool[] = [
  {
    name: AWAIT_APPROVAL_TOOL,
    title: 'Wait for a human approval',
    description:
      'Waits for the human decision on a tool call that Warden parked for approval. Returns the real tool result ' +
      'once approved (the call runs then, exactly as first asked, once), the rejection with the reviewer’s reason, a ' +
      'reviewer’s question (answer it with warden__reply), or "still pending" — then call this tool again.',
    inputSchema: {
      type: 'object',
      properties: { id: ID_PROPERTY },
      required: ['id'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, openWorldHint: false },
  },
  {
    name: REPLY_TOOL,
    title: 'Answer a reviewer’s question',
    description:
      'Answers the question a reviewer asked about a parked tool call. The answer is shown to the reviewers; the ' +
      'request stays pending. Then call warden__await_approval.',
    inputSchema: {
      type: 'object',
      properties: {
        id: ID_PROPERTY,
        answer: { type: 'string', description: 'Your answer to the reviewer.' },
      },
      required: ['id', 'answer'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, openWorldHint: false },
  },
];

const WARDEN_TOOL_NAMES = new Set(WARDEN_TOOLS.map((t) => t.name));

export function isWardenTool(name: string): boolean {
  return WARDEN_TOOL_NAMES.has(name);
}

function invalid(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/**
 * Runs one of Warden's own tools. `redact` masks secrets in the agent's answer to a question before it is stored
 * and shown to reviewers (the policy's redactor, as for arguments).
 */
export async function callWardenTool(
  gate: ApprovalGate,
  name: string,
  args: Record<string, unknown> | undefined,
  context: WaitContext,
  redact: (text: string) => string = (text) => text,
): Promise<CallToolResult> {
  const id = args?.id;
  if (typeof id !== 'string' || id === '') return invalid(`${name} needs {"id": "<approval request id>"}.`);
  if (name === AWAIT_APPROVAL_TOOL) return gate.resume(id, context);
  const answer = args?.answer;
  if (typeof answer !== 'string' || answer.trim() === '')
    return invalid(`${REPLY_TOOL} needs a non-empty "answer".`);
  return gate.reply(id, redact(answer));
}

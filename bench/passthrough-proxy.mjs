#!/usr/bin/env node
// The benchmark's baseline: the thinnest MCP proxy the SDK allows. It forwards tools/list and tools/call to one
// stdio downstream with `client.request(...)` and does nothing else (no policy, no audit), so Warden's cost can be
// read as "Warden / pass-through".
//
// Usage: node bench/passthrough-proxy.mjs <command> [args...]   e.g. node bench/passthrough-proxy.mjs node fx.mjs
import process from 'node:process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ListToolsRequestSchema,
  ListToolsResultSchema,
} from '@modelcontextprotocol/sdk/types.js';

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    process.stderr.write('usage: node bench/passthrough-proxy.mjs <command> [args...]\n');
    process.exit(2);
  }
  const downstream = new Client({ name: 'passthrough-proxy', version: '1.0.0' });
  await downstream.connect(new StdioClientTransport({ command, args, stderr: 'inherit' }));

  const server = new Server({ name: 'passthrough-proxy', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, (request, extra) =>
    downstream.request({ method: 'tools/list', params: request.params }, ListToolsResultSchema, {
      signal: extra.signal,
    }),
  );
  server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
    downstream.request({ method: 'tools/call', params: request.params }, CallToolResultSchema, {
      signal: extra.signal,
    }),
  );
  await server.connect(new StdioServerTransport());
  process.stdin.once('end', () => {
    void downstream.close().finally(() => process.exit(0));
  });
}

await main();

// `warden init`: reads an MCP client's config, writes warden.yaml and prints the snippet that routes the client
// through Warden. It never edits the client's own config file: the operator pastes the snippet.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import {
  buildInitFiles,
  CLIENT_KINDS,
  clientConfigCandidates,
  DEFAULT_POLICY_FILES,
  detectClientKind,
  packagePoliciesDir,
  SHIPPED_POLICY_FILES,
  type ClientKind,
} from '../config/init.js';
import { errorMessage, WardenError } from '../errors.js';

/** What the command reads from and writes to; tests pass their own, the CLI uses the process's. */
export interface InitCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  cwd: string;
  homeDir: string;
  platform: NodeJS.Platform;
  /** `%APPDATA%` on Windows, where Claude Desktop keeps its config. */
  appData?: string;
  /** The default principal. */
  principal: string;
}

interface InitOptions {
  from?: string;
  client?: ClientKind;
  output?: string;
  principal?: string;
  force?: boolean;
  print?: boolean;
}

const CLIENT_NAMES: Record<ClientKind, string> = {
  'claude-desktop': 'Claude Desktop',
  cursor: 'Cursor',
  'claude-code': 'Claude Code',
};

function defaultPrincipal(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? 'me';
  }
  return `${user}@${os.hostname().split('.')[0] ?? 'localhost'}`;
}

function processIo(): InitCommandIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    homeDir: os.homedir(),
    platform: process.platform,
    appData: process.env.APPDATA,
    principal: defaultPrincipal(),
  };
}

/** The client config to read: `--from`, else the first existing file among the client's usual places. */
function findSource(options: InitOptions, io: InitCommandIo): { path: string; client: ClientKind } {
  if (options.from) {
    const from = path.resolve(io.cwd, options.from);
    return { path: from, client: options.client ?? detectClientKind(from) ?? 'claude-desktop' };
  }
  const candidates = clientConfigCandidates(io, options.client);
  const found = candidates.find((c) => existsSync(c.path));
  if (!found) {
    throw new WardenError(
      'INIT',
      `no MCP client config found (looked in ${candidates.map((c) => c.path).join(', ')}); pass --from FILE`,
    );
  }
  return found;
}

function readClientConfig(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? errorMessage(cause);
    throw new WardenError('INIT', `cannot read ${file}: ${code}; pass --from with the client's config file`, {
      cause,
    });
  }
  // Editors on Windows may save a byte-order mark; JSON.parse would stop at it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new WardenError(
      'INIT',
      `${file}${jsonErrorPlace(text, cause)}: not valid JSON: ${errorMessage(cause)}`,
      {
        cause,
      },
    );
  }
}

/** `:line:column` of a JSON.parse error that names a position, else nothing. */
function jsonErrorPlace(text: string, error: unknown): string {
  const position = /at position (\d+)/.exec(errorMessage(error))?.[1];
  if (position === undefined) return '';
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  return `:${line}:${Number(position) - before.lastIndexOf('\n')}`;
}

/** Copies the shipped policies into `dir`, leaving files already there alone; returns the names it left. */
function copyShippedPolicies(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const kept: string[] = [];
  for (const file of SHIPPED_POLICY_FILES) {
    const target = path.join(dir, file);
    if (existsSync(target)) {
      kept.push(file);
      continue;
    }
    try {
      copyFileSync(path.join(packagePoliciesDir(), file), target);
    } catch (cause) {
      throw new WardenError(
        'INIT',
        `cannot copy the shipped policy ${file} to ${dir}: ${errorMessage(cause)}`,
        {
          cause,
        },
      );
    }
  }
  return kept;
}

/**
 * Claude Code keeps servers in two places: the project's .mcp.json, and ~/.claude.json (the user's own, and per
 * project). Reading one, say what the other has for this folder, or the agent keeps calling those without Warden.
 */
function claudeCodeServersElsewhere(
  source: { path: string; client: ClientKind },
  io: InitCommandIo,
): string | undefined {
  const userFile = path.join(io.homeDir, '.claude.json');
  if (source.client !== 'claude-code' || path.resolve(source.path) === userFile || !existsSync(userFile)) {
    return undefined;
  }
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(userFile, 'utf8').replace(/^\ufeff/, ''));
  } catch {
    return undefined;
  }
  const record = (value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  const projects = record(record(config).projects);
  const here = Object.entries(projects).find(([dir]) => path.resolve(dir) === path.resolve(io.cwd))?.[1];
  const names = [
    ...Object.keys(record(record(config).mcpServers)),
    ...Object.keys(record(record(here).mcpServers)),
  ];
  if (names.length === 0) return undefined;
  return `${userFile} also lists servers Claude Code uses here (${names.join(', ')}); they do not go through Warden. To route them too, copy their entries into the servers of this warden.yaml and remove them from Claude Code (claude mcp remove NAME), rather than running warden init on that file as well: a second "warden" entry would shadow this one.`;
}

async function runInit(options: InitOptions, io: InitCommandIo): Promise<void> {
  const source = findSource(options, io);
  const output = path.resolve(io.cwd, options.output ?? 'warden.yaml');
  // Security: the client's own config is the operator's to edit; Warden only prints what to paste.
  if (output === source.path) {
    throw new WardenError(
      'INIT',
      `refusing to write warden.yaml over the client config ${source.path}; pick another --output`,
    );
  }
  // Written for real, the config gets its own copies of the shipped policies: the package folder may be npx's cache,
  // which comes and goes, and policies are meant to be edited.
  const copyPolicies = !options.print;
  const files = buildInitFiles({
    ...(copyPolicies
      ? { policies: DEFAULT_POLICY_FILES.map((file) => `policies/${file}`), policiesCopied: true }
      : {}),
    clientConfig: readClientConfig(source.path),
    sourcePath: source.path,
    client: source.client,
    principal: options.principal ?? io.principal,
    configPath: output,
    projectDir: io.cwd,
  });
  const snippet = JSON.stringify(files.clientSnippet, null, 2);
  const elsewhere = claudeCodeServersElsewhere(source, io);
  if (elsewhere) files.notes.push(elsewhere);

  if (options.print) {
    io.stdout.write(`# warden.yaml (for ${output})\n${files.wardenYaml}\n`);
    io.stdout.write(`# Client config snippet (for ${source.path})\n${snippet}\n`);
    for (const note of files.notes) io.stderr.write(`warden: note: ${note}\n`);
    return;
  }

  if (!options.force && existsSync(output)) {
    throw new WardenError(
      'INIT',
      `${output} already exists; pass --force to overwrite it, or --output to write elsewhere`,
    );
  }
  mkdirSync(path.dirname(output), { recursive: true });
  try {
    writeFileSync(output, files.wardenYaml, { flag: options.force ? 'w' : 'wx' });
  } catch (cause) {
    throw new WardenError('INIT', `cannot write ${output}: ${errorMessage(cause)}`, { cause });
  }
  const policiesDir = path.join(path.dirname(output), 'policies');
  const kept = copyShippedPolicies(policiesDir);
  if (kept.length > 0) {
    files.notes.push(
      `Kept your own ${kept.map((f) => path.join(policiesDir, f)).join(', ')} (not overwritten).`,
    );
  }

  const client = CLIENT_NAMES[source.client];
  const names = files.serverNames;
  const lines = [
    `Wrote ${output} with ${names.length} server${names.length === 1 ? '' : 's'}${names.length ? `: ${names.join(', ')}` : ''}.`,
    '',
    `To route ${client} through Warden, paste this into ${source.path} in place of the servers it lists now`,
    `(left there, the agent could still call them without Warden), then restart ${client}.`,
    'warden init never edits your client config itself.',
    '',
    snippet,
  ];
  if (files.notes.length > 0) lines.push('', 'Notes:', ...files.notes.map((note) => `- ${note}`));
  io.stdout.write(`${lines.join('\n')}\n`);
}

/** Adds `warden init` to the CLI. Errors print `warden: <message>` on stderr and set exit code 1. */
export function registerInitCommand(program: Command, io: Partial<InitCommandIo> = {}): void {
  program
    .command('init')
    .description(
      "write warden.yaml from an MCP client's config (Claude Desktop, Cursor, Claude Code) and print the snippet that routes the client through Warden; the client's config is never modified",
    )
    .option('--from <file>', 'client config to read (default: the first found among the usual places)')
    .addOption(
      new Option('--client <kind>', 'client whose config to read and whose snippet to print').choices(
        CLIENT_KINDS,
      ),
    )
    .option('--output <file>', 'where to write the Warden config', 'warden.yaml')
    .option('--principal <id>', 'the person the agent acts for (default: user@host)')
    .option('--force', 'overwrite an existing output file')
    .option('--print', 'print warden.yaml and the snippet to stdout instead of writing anything')
    .action(async (options: InitOptions) => {
      const resolved = { ...processIo(), ...io };
      try {
        await runInit(options, resolved);
      } catch (error) {
        resolved.stderr.write(`warden: ${errorMessage(error)}\n`);
        process.exitCode = 1;
      }
    });
}

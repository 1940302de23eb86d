// The Teams app package in examples/teams: the manifest follows the rules of app manifest schema 1.17 that Teams
// checks on upload (required fields, lengths, scopes, GUIDs and https URLs once the placeholders are filled), every
// placeholder is explained in the guide, and the icons are PNGs of the sizes Teams asks for (color 192x192, outline
// 32x32 white on transparent).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';

const DIR = path.resolve(import.meta.dirname, '../../examples/teams');
const manifestText = readFileSync(path.join(DIR, 'manifest.json'), 'utf8');
const guide = readFileSync(path.join(DIR, 'README.md'), 'utf8');

const PLACEHOLDER = /\$\{\{([A-Z0-9_]+)\}\}/g;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEMVER = /^\d+\.\d+\.\d+$/;

/** Values an operator would put in, to check what the manifest becomes once filled. */
const FILLED: Record<string, string> = {
  TEAMS_APP_ID: '6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f',
  MICROSOFT_APP_ID: '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f7a',
  BOT_DOMAIN: 'warden.example.com',
  DEVELOPER_NAME: 'Example Corp platform team',
  DEVELOPER_URL: 'https://example.com',
};

function fill(text: string): unknown {
  return JSON.parse(
    text.replace(PLACEHOLDER, (_, name: string) => {
      const value = FILLED[name];
      if (value === undefined)
        throw new Error(`manifest.json uses \${{${name}}}, which this test cannot fill`);
      return value;
    }),
  );
}

interface Manifest {
  $schema: string;
  manifestVersion: string;
  version: string;
  id: string;
  developer: { name: string; websiteUrl: string; privacyUrl: string; termsOfUseUrl: string };
  name: { short: string; full?: string };
  description: { short: string; full: string };
  icons: { outline: string; color: string };
  accentColor: string;
  bots: Array<{
    botId: string;
    scopes: string[];
    supportsFiles?: boolean;
    isNotificationOnly?: boolean;
    commandLists?: Array<{ scopes: string[]; commands: Array<{ title: string; description: string }> }>;
  }>;
  validDomains: string[];
  [key: string]: unknown;
}

describe('the Teams app manifest', () => {
  const raw = JSON.parse(manifestText) as Manifest;
  const filled = fill(manifestText) as Manifest;

  test('is JSON with every field manifest schema 1.17 requires', () => {
    expect(raw.$schema).toBe(
      'https://developer.microsoft.com/json-schemas/teams/v1.17/MicrosoftTeams.schema.json',
    );
    expect(Number(raw.manifestVersion)).toBeGreaterThanOrEqual(1.16);
    expect(raw.$schema).toContain(`/v${raw.manifestVersion}/`);
    for (const key of ['version', 'id', 'developer', 'name', 'description', 'icons', 'accentColor']) {
      expect(raw, `manifest.json needs "${key}"`).toHaveProperty(key);
    }
    expect(raw.version).toMatch(SEMVER);
    expect(raw.accentColor).toMatch(/^#[0-9a-fA-F]{6}$/);
    expect(Object.keys(raw.developer).sort()).toEqual(['name', 'privacyUrl', 'termsOfUseUrl', 'websiteUrl']);
  });

  test('keeps the lengths Teams enforces', () => {
    expect(filled.name.short.length).toBeLessThanOrEqual(30);
    expect((filled.name.full ?? '').length).toBeLessThanOrEqual(100);
    expect(filled.description.short.length).toBeLessThanOrEqual(80);
    expect(filled.description.full.length).toBeLessThanOrEqual(4000);
    expect(filled.developer.name.length).toBeLessThanOrEqual(32);
  });

  test('declares one conversational bot for teams and group chats, without file support', () => {
    expect(raw.bots).toHaveLength(1);
    const bot = raw.bots[0]!;
    expect([...bot.scopes].sort()).toEqual(['groupChat', 'team']);
    expect(bot).not.toHaveProperty('supportsFiles');
    expect(bot.isNotificationOnly ?? false).toBe(false);
    for (const list of bot.commandLists ?? []) {
      expect(list.scopes.every((scope) => bot.scopes.includes(scope))).toBe(true);
      expect(list.commands.length).toBeLessThanOrEqual(10);
      for (const command of list.commands) {
        expect(command.title.length).toBeLessThanOrEqual(32);
        expect(command.description.length).toBeLessThanOrEqual(128);
      }
    }
    expect(bot.commandLists?.[0]?.commands.map((c) => c.title)).toContain('register');
  });

  test('asks for nothing beyond the bot: no tabs, connectors, message extensions or permissions', () => {
    for (const key of ['staticTabs', 'configurableTabs', 'connectors', 'composeExtensions', 'permissions']) {
      expect(raw, `manifest.json should not declare "${key}"`).not.toHaveProperty(key);
    }
  });

  test('once filled in, has GUID ids, https developer URLs and a bare host in validDomains', () => {
    expect(filled.id).toMatch(GUID);
    expect(filled.bots[0]!.botId).toMatch(GUID);
    const { websiteUrl, privacyUrl, termsOfUseUrl } = filled.developer;
    for (const url of [websiteUrl, privacyUrl, termsOfUseUrl]) expect(new URL(url).protocol).toBe('https:');
    expect(filled.validDomains).toEqual(['warden.example.com']);
    for (const domain of raw.validDomains) expect(domain).not.toMatch(/^https?:|\/|\*/);
  });

  test('uses only placeholders that the guide explains', () => {
    const used = new Set([...manifestText.matchAll(PLACEHOLDER)].map((m) => m[1]!));
    expect([...used].sort()).toEqual(Object.keys(FILLED).sort());
    for (const name of used)
      expect(guide, `README.md should explain \${{${name}}}`).toContain(`\${{${name}}}`);
  });

  test('names icon files that exist in the package folder', () => {
    expect(raw.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
  });
});

/** A PNG's header and, for 8-bit RGBA images, its pixels (rows unfiltered). */
function readPng(file: string): { width: number; height: number; colorType: number; rgba?: Buffer } {
  const data = readFileSync(file);
  expect(data.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let header:
    { width: number; height: number; bitDepth: number; colorType: number; interlace: number } | undefined;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString('ascii', offset + 4, offset + 8);
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body[8]!,
        colorType: body[9]!,
        interlace: body[12]!,
      };
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (!header) throw new Error(`${file}: no IHDR chunk`);
  const { width, height, colorType } = header;
  if (header.bitDepth !== 8 || colorType !== 6 || header.interlace !== 0) return { width, height, colorType };
  return { width, height, colorType, rgba: unfilter(inflateSync(Buffer.concat(idat)), width, height) };
}

/** Undoes PNG row filters (None, Sub, Up, Average, Paeth) for 4 bytes per pixel. */
function unfilter(raw: Buffer, width: number, height: number): Buffer {
  const stride = width * 4;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i += 1) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= 4 ? out[y * stride + i - 4]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = i >= 4 && y > 0 ? out[(y - 1) * stride + i - 4]! : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter} in row ${y}`);
      out[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  return out;
}

describe('the Teams app icons', () => {
  test('color.png is a 192x192 PNG', () => {
    const icon = readPng(path.join(DIR, 'color.png'));
    expect({ width: icon.width, height: icon.height }).toEqual({ width: 192, height: 192 });
  });

  test('outline.png is a 32x32 RGBA PNG, white on transparent', () => {
    const icon = readPng(path.join(DIR, 'outline.png'));
    expect({ width: icon.width, height: icon.height, colorType: icon.colorType }).toEqual({
      width: 32,
      height: 32,
      colorType: 6,
    });
    const pixels = icon.rgba!;
    let opaque = 0;
    let transparent = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b, alpha] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, pixels[i + 3]!];
      if (alpha === 0) transparent += 1;
      else expect([r, g, b], `pixel ${i / 4} is visible but not white`).toEqual([255, 255, 255]);
      if (alpha === 255) opaque += 1;
    }
    // Something is drawn, and the background (most of the square) is see-through.
    expect(opaque).toBeGreaterThan(50);
    expect(transparent).toBeGreaterThan((32 * 32) / 2);
  });
});

// Warden's version, read once from package.json (the single source of truth).
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const WARDEN_VERSION: string = pkg.version;

// Public surface of the config module: the warden.yaml schema, loading it, and `warden init`'s pure part.
export * from './schema.js';
export * from './load.js';
export * from './init.js';

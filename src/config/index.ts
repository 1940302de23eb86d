// Public surface of the config module.
export * from './schema.js';
export * from './load.js';

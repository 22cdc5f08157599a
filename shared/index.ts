export * from './errors.js';
export * from './lifecycle.js';
export * from './names.js';
export * from './contract/index.js';
export * from './contract/wire.js';

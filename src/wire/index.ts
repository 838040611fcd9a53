/** The wire contract (SPEC): every shape that crosses the network, declared once. */
export * from './common.js';
export * from './agent.js';
export * from './provider.js';
export * from './exec.js';
export * from './exec-control.js';
export * from './nodes.js';
export * from './heads.js';
export * from './batch.js';
export * from './shell.js';
export * from './audit.js';
export * from './config.js';
export * from './release.js';

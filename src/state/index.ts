/** Public entry of the state layer: the interface, its types and errors, and the two implementations. */
export * from './state-store.js';
export { createSqliteStateStore, type SqliteStateStoreOptions } from './sqlite/sqlite-state-store.js';
export { periodStart, periodEnd } from './periods.js';

/** Public entry of the state layer: the interface, its types and errors, and the two implementations. */
export * from './state-store.js';
export { createSqliteStateStore, type SqliteStateStoreOptions } from './sqlite/sqlite-state-store.js';
export { createRedisStateStore, type RedisStateStoreOptions } from './redis/redis-state-store.js';
export { connectionOptions as redisConnectionOptions } from './redis/redis-client.js';
export { periodStart, periodEnd } from './periods.js';

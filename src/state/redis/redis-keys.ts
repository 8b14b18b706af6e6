/**
 * Redis key layout. Hash tags group what one atomic script touches into one Cluster slot:
 *   {admin}        teams, keys (small, rarely written; reads are single-key)
 *   {t:<team>}     every budget counter of a team and of its keys, its reservations and lease set
 *   {rl:<scope>}   one rate-limit window
 *   {u:<hour>}     one hour of usage aggregates, its index and the write ids it has seen
 * Ids are URI-encoded so a `{` or `}` in an id cannot break the tag.
 */
const enc = encodeURIComponent;

export function redisKeys(prefix: string) {
  const admin = `${prefix}{admin}:`;
  return {
    team: (id: string) => `${admin}team:${enc(id)}`,
    teams: `${admin}teams`,
    keyId: (id: string) => `${admin}kid:${enc(id)}`,
    keyHashPrefix: `${admin}kh:`,
    keyHash: (hash: string) => `${admin}kh:${hash}`,
    keys: `${admin}keys`,
    teamKeys: (teamId: string) => `${admin}tk:${enc(teamId)}`,
    teamTag: (teamId: string) => `${prefix}{t:${enc(teamId)}}:`,
    counter: (teamId: string, counterId: string) => `${prefix}{t:${enc(teamId)}}:bc:${counterId}`,
    leases: (teamId: string) => `${prefix}{t:${enc(teamId)}}:leases`,
    reservationPrefix: (teamId: string) => `${prefix}{t:${enc(teamId)}}:res:`,
    reservation: (teamId: string, requestId: string) => `${prefix}{t:${enc(teamId)}}:res:${requestId}`,
    rateLog: (scope: string) => `${prefix}{rl:${enc(scope)}}:log`,
    rateState: (scope: string) => `${prefix}{rl:${enc(scope)}}:st`,
    usageRow: (hour: number, dims: string) => `${prefix}{u:${hour}}:r:${dims}`,
    usageIndex: (hour: number) => `${prefix}{u:${hour}}:idx`,
    usageWrites: (hour: number) => `${prefix}{u:${hour}}:w`,
    usageHours: `${prefix}usage:hours`,
    cache: (key: string) => `${prefix}cache:${key}`,
    /** The data set's id (state-loss.ts): in the admin slot, since it stands for the teams and keys there. */
    epoch: () => `${admin}epoch`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

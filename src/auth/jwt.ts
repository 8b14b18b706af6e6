/**
 * JWT / OIDC consumers: `Authorization: Bearer <JWT>` from the issuers configured under `auth.jwt`, verified with
 * `jose` — signature against the issuer's JWKS (fetched, cached, refetched when a token names a key it has not seen:
 * key rotation), `iss`, `aud`, `exp` (required), `nbf`, a bounded clock tolerance, and the algorithms pinned per
 * issuer (asymmetric only, never `none`). The token's claims map to a team, an end user and groups; the end user
 * becomes the principal's key (`jwt:<issuer name>:<user>`), so per-user budgets, limits and the ledger's per-key
 * rows work as they do for gateway keys. Any failure is a 401 that says why, never which key material was tried;
 * an unreachable JWKS fails closed.
 */
import type * as Jose from 'jose';
import type { JWTPayload } from 'jose';
import { toBudget } from '../bootstrap.js';
import type { GatewayConfig } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { ApiKey, StateStore, Team } from '../state/state-store.js';
import type { Principal } from './authenticate.js';

type IssuerConfig = GatewayConfig['auth']['jwt'][string];

export interface JwtAuthenticator {
  /** A compact JWS (three base64url parts) whose unverified `iss` is one of the configured issuers. */
  accepts(token: string): boolean;
  /** Verifies `token` and maps it to a principal; rejects with 401 `invalid_api_key` saying why. */
  authenticate(token: string, now?: number): Promise<Principal>;
}

/** How long a fetch of the discovery document or the key set may take. */
const FETCH_TIMEOUT_MS = 5_000;
/** A key set is refetched after this long even when every kid is known (a revoked key disappears). */
const JWKS_MAX_AGE_MS = 10 * 60_000;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const invalid = (message: string) => new GatewayError('invalid_api_key', message);

/**
 * `jose` is imported when the first issuer is configured, not with the gateway: most deployments use gateway keys
 * only, and it is ~180 modules of start-up (issue 22.6). Started at once by `createJwtAuthenticator`, so it is
 * loaded before the first token arrives; `accepts` reads the unverified `iss` without it.
 */
let jose: Promise<typeof Jose> | undefined;
const loadJose = () => (jose ??= import('jose'));

/** The unverified `iss` claim of a compact JWS (routing only: `authenticate` verifies it). */
function unverifiedIssuer(token: string): string | undefined {
  try {
    const iss: unknown = JSON.parse(Buffer.from(token.slice(token.indexOf('.') + 1, token.lastIndexOf('.')), 'base64url').toString('utf8')).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

interface Issuer {
  name: string;
  config: IssuerConfig;
  keySet(): Promise<ReturnType<typeof Jose.createRemoteJWKSet>>;
  /** Synthetic key records per user, rebuilt only when the user is new (budgets arrays keep their identity). */
  users: Map<string, ApiKey>;
}

export function createJwtAuthenticator(config: GatewayConfig['auth'], store: StateStore): JwtAuthenticator | undefined {
  const entries = Object.entries(config.jwt);
  if (entries.length === 0) return undefined;
  void loadJose().catch(() => undefined); // a failure surfaces in authenticate, as a refused token
  const byIssuer = new Map<string, Issuer>();
  for (const [name, c] of entries) byIssuer.set(c.issuer, createIssuer(name, c));

  const teams = new Map<string, { team: Team; at: number }>();
  async function teamOf(id: string, now: number): Promise<Team | undefined> {
    const cached = teams.get(id);
    if (cached && now - cached.at < 5_000) return cached.team;
    const team = await store.getTeam(id);
    if (team) teams.set(id, { team, at: now });
    return team;
  }

  return {
    accepts(token) {
      if (!COMPACT_JWS.test(token)) return false;
      const iss = unverifiedIssuer(token);
      return iss !== undefined && byIssuer.has(iss);
    },
    async authenticate(token, now = Date.now()) {
      const { decodeJwt, decodeProtectedHeader } = await loadJose();
      let iss: string | undefined;
      let alg: string | undefined;
      try {
        iss = decodeJwt(token).iss;
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw invalid('The bearer token is not a valid JWT.');
      }
      const issuer = iss === undefined ? undefined : byIssuer.get(iss);
      if (!issuer) throw invalid('The token was not issued by an issuer this gateway accepts.');
      if (!alg || !(issuer.config.algorithms as string[]).includes(alg)) {
        throw invalid(`The token's algorithm '${String(alg)}' is not accepted for this issuer (accepted: ${issuer.config.algorithms.join(', ')}).`);
      }
      const payload = await verify(issuer, token, now);
      const teamId = teamClaim(issuer.config, payload);
      if (!teamId) throw invalid('The token names no team this gateway knows (by its team claim or its groups).');
      const team = await teamOf(teamId, now);
      if (!team) throw invalid(`The token's team '${teamId}' does not exist.`);
      const user = payload[issuer.config.userClaim];
      if (typeof user !== 'string' || user.length === 0 || user.length > 256) {
        throw invalid(`The token has no usable '${issuer.config.userClaim}' claim (the end user).`);
      }
      return { key: userKey(issuer, team.id, user), team };
    },
  };
}

function createIssuer(name: string, config: IssuerConfig): Issuer {
  let keySet: Promise<ReturnType<typeof Jose.createRemoteJWKSet>> | undefined;
  const load = async () => {
    const { createRemoteJWKSet } = await loadJose();
    const uri = config.jwksUri ?? (await discoverJwksUri(config.issuer));
    return createRemoteJWKSet(new URL(uri), { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: config.jwksCooldownSec * 1000, cacheMaxAge: JWKS_MAX_AGE_MS });
  };
  return {
    name,
    config,
    users: new Map(),
    keySet() {
      // A failed discovery is retried by the next request, not cached.
      keySet ??= load().catch((err) => {
        keySet = undefined;
        throw err;
      });
      return keySet;
    },
  };
}

/** OIDC discovery: the issuer's `/.well-known/openid-configuration` names its `jwks_uri`. */
async function discoverJwksUri(issuer: string): Promise<string> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`OIDC discovery answered ${res.status}`);
  const doc = (await res.json()) as { jwks_uri?: unknown; issuer?: unknown };
  if (typeof doc.jwks_uri !== 'string') throw new Error('OIDC discovery document has no jwks_uri');
  return doc.jwks_uri;
}

async function verify(issuer: Issuer, token: string, now: number): Promise<JWTPayload> {
  const c = issuer.config;
  const { jwtVerify, errors } = await loadJose();
  try {
    const { payload } = await jwtVerify(token, await issuer.keySet(), {
      issuer: c.issuer,
      audience: c.audience,
      algorithms: c.algorithms,
      clockTolerance: c.clockToleranceSec,
      currentDate: new Date(now),
      requiredClaims: ['exp'],
    });
    return payload;
  } catch (err) {
    throw invalid(reason(err, errors));
  }
}

/** Why a token was refused, in words a client can act on (never the key material). */
function reason(err: unknown, errors: typeof Jose.errors): string {
  if (err instanceof errors.JWTExpired) return 'The token has expired.';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'The token was not issued for this gateway (audience mismatch).';
    if (err.claim === 'nbf') return 'The token is not valid yet (nbf).';
    if (err.claim === 'exp') return 'The token has no expiry (exp); the gateway accepts only expiring tokens.';
    return `The token's '${err.claim}' claim is not accepted.`;
  }
  if (err instanceof errors.JWKSNoMatchingKey) return "The token was signed with a key the issuer does not publish.";
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  if (err instanceof errors.JOSEAlgNotAllowed) return "The token's algorithm is not accepted.";
  if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
    return "The token cannot be verified right now: the issuer's key set is unreachable. Retry later.";
  }
  return 'The token is invalid.';
}

function teamClaim(c: IssuerConfig, payload: JWTPayload): string | undefined {
  if (c.teamClaim) {
    const v = payload[c.teamClaim];
    if (typeof v === 'string' && v) return v;
  }
  const groups = payload[c.groupsClaim];
  const list = Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : typeof groups === 'string' ? [groups] : [];
  for (const [group, team] of Object.entries(c.groupTeams)) if (list.includes(group)) return team;
  return c.defaultTeam;
}

/** The principal's key record of one end user: per-user budgets and limits count under it. */
function userKey(issuer: Issuer, teamId: string, user: string): ApiKey {
  const id = `jwt:${issuer.name}:${user}`;
  const cached = issuer.users.get(`${teamId}\u0000${user}`);
  if (cached) return cached;
  const key: ApiKey = {
    id,
    teamId,
    name: user,
    prefix: 'jwt',
    hash: '',
    createdAt: 0,
    budgets: issuer.config.userBudgets.map(toBudget),
    ...(issuer.config.userRateLimits ? { rateLimits: issuer.config.userRateLimits } : {}),
    ...(issuer.config.allowedModels ? { allowedModels: issuer.config.allowedModels } : {}),
  };
  // Bounded: one record per active user; a flood of distinct users only costs a rebuild each.
  if (issuer.users.size >= 100_000) issuer.users.clear();
  issuer.users.set(`${teamId}\u0000${user}`, key);
  return key;
}

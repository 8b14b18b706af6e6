/**
 * JWT / OIDC consumers against a local identity provider (JWKS + discovery document served here): rotating keys,
 * expired, not-yet-valid, tampered and wrong-audience tokens, `none` and HS/RS confusion, an unreachable key set
 * (fail closed), team and per-user budgets from the claims — and gateway keys keep working beside them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, TEST_KEY, type TestGateway } from '../helpers/test-gateway.js';

interface Idp {
  url: string;
  /** Keys published in the JWKS now. */
  published: JWK[];
  jwksFetches: number;
  close(): Promise<void>;
}

async function startIdp(): Promise<Idp> {
  const idp: Idp = { url: '', published: [], jwksFetches: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer: idp.url, jwks_uri: `${idp.url}/jwks` }));
    if (req.url === '/jwks') {
      idp.jwksFetches++;
      return res.end(JSON.stringify({ keys: idp.published }));
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  idp.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  idp.close = () => new Promise((r) => server.close(() => r()));
  return idp;
}

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, publicKey, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

let idp: Idp;
let upstream: FakeUpstream;
let gw: TestGateway;
let k1: Awaited<ReturnType<typeof keyPair>>;
let k2: Awaited<ReturnType<typeof keyPair>>;
const AUD = 'ai-gateway';

function token(claims: Record<string, unknown>, opts: { key?: typeof k1; exp?: number | string; nbf?: number; aud?: string; iss?: string } = {}) {
  const key = opts.key ?? k1;
  let jwt = new SignJWT({ groups: ['ml-research'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setIssuer(opts.iss ?? idp.url)
    .setAudience(opts.aud ?? AUD)
    .setSubject(String(claims.sub ?? 'alice'))
    .setIssuedAt();
  jwt = jwt.setExpirationTime(opts.exp ?? '5m');
  if (opts.nbf !== undefined) jwt = jwt.setNotBefore(opts.nbf);
  return jwt.sign(key.privateKey);
}

const ask = (apiKey: string) => gw.client({ apiKey }).chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });

beforeAll(async () => {
  idp = await startIdp();
  [k1, k2] = await Promise.all([keyPair('k1'), keyPair('k2')]);
  idp.published = [k1.jwk];
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream, {
    teams: { default: { allowedModels: ['*'] }, research: { allowedModels: ['*'] } },
    extra: {
      auth: {
        jwt: {
          corp: {
            issuer: idp.url, // no jwksUri: found by OIDC discovery
            audience: AUD,
            algorithms: ['RS256'],
            jwksCooldownSec: 0,
            groupTeams: { 'ml-research': 'research' },
            userBudgets: [{ period: 'daily', tokens: 60 }],
          },
          down: { issuer: 'https://idp.unreachable.example', jwksUri: 'http://127.0.0.1:9/jwks', audience: AUD, defaultTeam: 'default' },
        },
      },
    },
  });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await idp?.close();
});

describe('JWT consumers', () => {
  it('a valid token maps to its team (by group) and its end user, who is the ledger key', async () => {
    const res = await ask(await token({ sub: 'carol' }));
    expect(res.choices[0]!.message.content).toBeTruthy();
    await new Promise((r) => setTimeout(r, 50));
    const line = gw.logs.filter((l) => l.msg === 'chat completion').at(-1)!;
    expect(line).toMatchObject({ team: 'research', keyId: 'jwt:corp:carol' });
  });

  it('gateway keys keep working beside JWTs', async () => {
    await expect(ask(TEST_KEY)).resolves.toBeTruthy();
  });

  it('picks up a rotated signing key from the JWKS', async () => {
    idp.published = [k1.jwk, k2.jwk];
    await expect(ask(await token({ sub: 'dave' }, { key: k2 }))).resolves.toBeTruthy();
    idp.published = [k2.jwk]; // k1 retired
  });

  it.each([
    ['expired', async () => token({}, { key: k2, exp: Math.floor(Date.now() / 1000) - 120 }), /The token has expired/],
    ['not yet valid', async () => token({}, { key: k2, nbf: Math.floor(Date.now() / 1000) + 300 }), /not valid yet/],
    ['for another audience', async () => token({}, { key: k2, aud: 'another-app' }), /audience mismatch/],
    ['signed with a key the issuer does not publish', async () => token({}, { key: await keyPair('k9') }), /does not publish/],
    ['of an unknown issuer', async () => token({}, { key: k2, iss: 'https://evil.example' }), /Incorrect API key|not issued by an issuer/],
  ])('refuses a token %s with a 401 saying why', async (_name, make, why) => {
    const err = await ask(await make()).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.message).toMatch(why);
  });

  it('refuses a tampered token', async () => {
    const [h, p, s] = (await token({ sub: 'mallory' }, { key: k2 })).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, groups: ['admins'], sub: 'root' })).toString('base64url');
    const err = await ask(`${h}.${forged}.${s}`).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.message).toMatch(/signature is invalid/);
  });

  it('refuses alg none and HS/RS confusion (an HS256 token keyed with the public key)', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { iss: idp.url, aud: AUD, sub: 'eve', groups: ['ml-research'], exp: Math.floor(Date.now() / 1000) + 300 };
    const none = `${b64({ alg: 'none', kid: 'k2' })}.${b64(claims)}.`;
    expect((await ask(none).catch((e) => e)).message).toMatch(/algorithm 'none' is not accepted/);
    const pem = await exportSPKI(k2.publicKey);
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k2' }).sign(new TextEncoder().encode(pem));
    const err = await ask(hs).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.message).toMatch(/algorithm 'HS256' is not accepted/);
  });

  it('fails closed with a clear 401 when the issuer\'s key set is unreachable', async () => {
    const t = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k2' }).setIssuer('https://idp.unreachable.example').setAudience(AUD).setSubject('frank').setExpirationTime('5m').sign(k2.privateKey);
    const err = await ask(t).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.message).toMatch(/key set is unreachable/);
  });

  it('per-user budgets: one user spending theirs does not stop another', async () => {
    const alice = await token({ sub: 'alice' }, { key: k2 });
    const bob = await token({ sub: 'bob' }, { key: k2 });
    let refused: unknown;
    for (let i = 0; i < 10 && !refused; i++) await ask(alice).catch((e) => (refused = e));
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(String((refused as Error).message)).toMatch(/key 'jwt:corp:alice'/);
    await expect(ask(bob)).resolves.toBeTruthy();
  });
});

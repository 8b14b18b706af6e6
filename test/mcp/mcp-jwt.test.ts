/**
 * JWT / OIDC consumers on /mcp: the same authenticator as /v1, so a token from a configured issuer opens a session
 * for its end user, under its team's allow-lists, with the per-user budget charged per priced tool call; the
 * session belongs to that user. Local identity provider (JWKS) and a real SDK-built upstream.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { startUpstreamMcp, type UpstreamMcp } from './upstream-server.js';

const AUD = 'ai-gateway';
let idp: Server;
let idpUrl: string;
let signingKey: CryptoKey;
let llm: FakeUpstream;
let docs: UpstreamMcp;
let gw: TestGateway;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  signingKey = privateKey as CryptoKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  idp = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/jwks') return res.end(JSON.stringify({ keys: [jwk] }));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  idpUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  llm = await startFakeUpstream();
  docs = await startUpstreamMcp();
  gw = await startTestGateway(llm, {
    teams: { default: { allowedModels: ['*'] }, research: { policy: { mcp: { tools: ['docs__search', 'docs__paid'] } } } },
    extra: {
      auth: { jwt: { corp: { issuer: idpUrl, jwksUri: `${idpUrl}/jwks`, audience: AUD, algorithms: ['RS256'], groupTeams: { 'ml-research': 'research' }, userBudgets: [{ period: 'daily', usd: '0.005' }] } } },
      mcp: { servers: { docs: { url: docs.url, tools: { paid: { pricePerCall: '0.002' } } } } },
    },
  });
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await docs?.close();
  await llm?.close();
  await new Promise((r) => idp?.close(r));
});

const token = (sub: string) =>
  new SignJWT({ groups: ['ml-research'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(idpUrl).setAudience(AUD).setSubject(sub).setIssuedAt().setExpirationTime('5m').sign(signingKey);

async function connect(jwt: string) {
  const client = new Client({ name: 'mcp-jwt-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${jwt}` } } });
  await client.connect(transport);
  return { client, transport };
}

it('a JWT consumer uses /mcp under its team\'s allow-lists, its per-user budget charged per call, its session its own', async () => {
  const { client, transport } = await connect(await token('dana'));
  expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['docs__paid', 'docs__search']);
  // $0.002 per call against dana's $0.005 a day: two calls fit, the third would pass it.
  await client.callTool({ name: 'docs__paid', arguments: {} });
  await client.callTool({ name: 'docs__paid', arguments: {} });
  const err = await client.callTool({ name: 'docs__paid', arguments: {} }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(McpError);
  expect((err as McpError).data).toMatchObject({ code: 'budget_exceeded' });
  expect((err as McpError).message).toContain("key 'jwt:corp:dana'");
  expect(gw.logs.filter((l) => l.msg === 'mcp tool call' && l.tool === 'paid').map((l) => [l.team, l.key, l.outcome])).toEqual([
    ['research', 'jwt:corp:dana', 'ok'],
    ['research', 'jwt:corp:dana', 'ok'],
    ['research', 'jwt:corp:dana', 'budget_exceeded'],
  ]);

  // Another user of the same team cannot use dana's session; their own budget is untouched.
  const other = await fetch(`${gw.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${await token('erin')}`, 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }),
  });
  expect(other.status).toBe(404);
  const erin = await connect(await token('erin'));
  expect((await erin.client.callTool({ name: 'docs__paid', arguments: {} })).isError).toBeFalsy();
  await Promise.all([client.close(), erin.client.close()]);
});

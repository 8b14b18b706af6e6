/**
 * The deployment files, checked here because Docker cannot run on this machine: the compose gateway config
 * loads through the real config loader (with the environment compose passes), docker-compose.yml has the
 * topology docs/operations.md promises, and the Dockerfile copies every file the gateway reads at run time.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { fromRoot } from '../../src/paths.js';
import { startNodeFlags } from '../../src/build/start-flags.js';

const compose = () => parse(readFileSync(fromRoot('docker-compose.yml'), 'utf8'), { merge: true });
/** Compose durations as used here ("35s", "1m30s") in seconds. */
const seconds = (d: string) => [...d.matchAll(/(\d+)(h|m|s)/g)].reduce((t, [, n, u]) => t + Number(n) * { h: 3600, m: 60, s: 1 }[u as 'h' | 'm' | 's'], 0);
/** Every string in a parsed YAML document. */
const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];

describe('deployment files', () => {
  it('deploy/gateway.compose.yaml is a valid gateway config: Redis state, Qdrant vectors, secrets from the environment', () => {
    const env = { OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-a', GATEWAY_API_KEY: 'gw-k', GATEWAY_ADMIN_TOKEN: 'adm' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const cfg = loadConfigFile(fromRoot('deploy', 'gateway.compose.yaml'));
      expect(cfg.state).toMatchObject({ kind: 'redis', redisUrl: 'redis://redis:6379', failMode: 'closed' });
      expect(cfg.vectorStore).toMatchObject({ kind: 'qdrant', url: 'http://qdrant:6333' });
      expect(cfg.providers.openai.apiKey).toBe('sk-o');
      expect(cfg.providers.anthropic.apiKey).toBe('sk-a');
      expect(cfg.server.adminToken).toBe('adm');
      expect(cfg.keys[0].key).toBe('gw-k');
      expect(cfg.server.port).toBe(8080);
      // Shutdown = the grace for streams, then up to 5 s of settlement and 5 s of store retries (src/server.ts).
      expect(cfg.server.shutdownGraceMs / 1000 + 10).toBeLessThan(seconds(compose().services['gateway-1'].stop_grace_period));
    } finally {
      process.env = saved;
    }
  });

  it('docker-compose.yml: two gateway replicas behind nginx, Redis with AOF, Qdrant, health-gated start', () => {
    const doc = compose();
    const s = doc.services;
    expect(Object.keys(s).sort()).toEqual(['gateway-1', 'gateway-2', 'grafana', 'lb', 'prometheus', 'qdrant', 'redis']);
    // Monitoring is opt-in (a profile), so a plain `docker compose up` starts the same five services as before.
    expect(s.prometheus.profiles).toEqual(['monitoring']);
    expect(s.grafana.profiles).toEqual(['monitoring']);
    for (const name of ['gateway-1', 'gateway-2']) {
      const g = s[name];
      expect(g.build).toBe('.');
      // The directory is mounted (a single-file bind mount pins the inode: an edit saved by rename never arrives).
      expect(g.volumes).toContain('./deploy:/etc/ai-gateway:ro');
      expect(g.environment.GATEWAY_CONFIG).toBe('/etc/ai-gateway/gateway.compose.yaml');
      expect(g.init).toBe(true);
      // Every variable deploy/gateway.compose.yaml and docs/operations.md name must reach the container.
      for (const v of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GATEWAY_API_KEY', 'GATEWAY_ADMIN_TOKEN', 'LOG_LEVEL', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GATEWAY_EMBEDDINGS']) expect(g.environment[v]).toMatch(new RegExp(`^\\$\\{${v}`));
      expect(g.healthcheck.test.join(' ')).toContain('/readyz');
      expect(g.depends_on.redis.condition).toBe('service_healthy');
      expect(g.depends_on.qdrant.condition).toBe('service_healthy');
      expect(seconds(g.stop_grace_period)).toBeGreaterThanOrEqual(35);
      expect(g.ports).toBeUndefined(); // only the load balancer is published
    }
    expect(s.lb.depends_on['gateway-1'].condition).toBe('service_healthy');
    expect(s.lb.depends_on['gateway-2'].condition).toBe('service_healthy');
    // nginx stops first on `docker compose down` and lets streams finish: as long as the replicas.
    expect(seconds(s.lb.stop_grace_period)).toBe(seconds(s['gateway-1'].stop_grace_period));
    expect(s.redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(s.redis.volumes).toContain('redis-data:/data');
    expect(s.qdrant.image).toMatch(/^qdrant\/qdrant:/);
    expect(s.qdrant.volumes).toContain('qdrant-data:/qdrant/storage');
    // The qdrant image has neither curl nor wget; exec form runs bash itself (/dev/tcp is a bash feature).
    expect(s.qdrant.healthcheck.test.slice(0, 2)).toEqual(['CMD', 'bash']);
    expect(s.qdrant.healthcheck.test.join(' ')).not.toMatch(/\b(curl|wget)\b/);
    expect(s.qdrant.healthcheck.test.join(' ')).toContain('/dev/tcp/127.0.0.1/6333');
  });

  it('docker-compose.yml: interpolation, mounts and images are sound', () => {
    const text = readFileSync(fromRoot('docker-compose.yml'), 'utf8');
    const doc = compose();
    // Compose interpolates every `$`: a literal one must be `$$`. Only ${VAR}, ${VAR:-x}, ${VAR:?x} are meant here.
    for (const str of strings(doc)) expect(str.replace(/\$\$|\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}/g, '')).not.toContain('$');
    // The key must be set: with `:?` compose refuses to start instead of every replica minting its own.
    expect(text).toMatch(/GATEWAY_API_KEY: \$\{GATEWAY_API_KEY:\?/);
    // Every referenced file on the host exists (a missing bind source becomes an empty directory).
    for (const [name, svc] of Object.entries<{ volumes?: string[]; environment?: Record<string, string> }>(doc.services)) {
      for (const v of svc.volumes ?? []) {
        const [src] = v.split(':');
        if (src.startsWith('.')) expect(existsSync(fromRoot(src)), `${name}: ${v}`).toBe(true);
        else expect(Object.keys(doc.volumes ?? {}), `${name}: ${v}`).toContain(src);
      }
    }
    // GATEWAY_CONFIG reaches deploy/gateway.compose.yaml through the mount.
    const g = doc.services['gateway-1'];
    const mount = g.volumes.map((v: string) => v.split(':')).find(([, target]: string[]) => g.environment.GATEWAY_CONFIG.startsWith(target + '/'));
    expect(mount).toBeDefined();
    const hostFile = join(fromRoot(mount[0]), posix.relative(mount[1], g.environment.GATEWAY_CONFIG));
    expect(statSync(hostFile).isFile()).toBe(true);
    expect(hostFile).toBe(fromRoot('deploy', 'gateway.compose.yaml'));
    // A variable the gateway config needs without a default must be passed to the container.
    for (const str of strings(parse(readFileSync(hostFile, 'utf8')))) {
      for (const [, v] of str.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) expect(Object.keys(g.environment)).toContain(v);
    }
    // Upstream `resolve` in open-source nginx needs 1.27.3 or later.
    const [major, minor] = (doc.services.lb.image.match(/^nginx:(\d+)\.(\d+)/) ?? []).slice(1).map(Number);
    expect(major * 1000 + minor).toBeGreaterThanOrEqual(1028);
  });

  it('/metrics: an operator listener inside the compose network, scraped by prometheus; the public port refuses it', () => {
    const env = { GATEWAY_API_KEY: 'gw-k' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const cfg = loadConfigFile(fromRoot('deploy', 'gateway.compose.yaml'));
      // A separate port: /metrics is then absent from the API port nginx publishes (teams are not exposed).
      expect(cfg.server.metrics.port).toBe(9464);
      expect(cfg.server.metrics.enabled).toBe(true);
      const s = compose().services;
      for (const g of ['gateway-1', 'gateway-2']) expect(s[g].expose.map(String)).toContain('9464');
      expect(readFileSync(fromRoot('deploy', 'nginx.conf'), 'utf8')).not.toMatch(/9464/);
      const prom = parse(readFileSync(fromRoot('deploy', 'prometheus.yml'), 'utf8'));
      const job = prom.scrape_configs.find((j: { job_name: string }) => j.job_name === 'ai-gateway');
      expect(job.metrics_path).toBe('/metrics');
      expect(job.static_configs[0].targets.sort()).toEqual(['gateway-1:9464', 'gateway-2:9464']);
      // Prometheus and Grafana are published on the host's loopback only.
      for (const svc of ['prometheus', 'grafana']) expect(s[svc].ports.every((p: string) => p.startsWith('127.0.0.1:'))).toBe(true);
      // Grafana is provisioned: the Prometheus data source and the gateway dashboard, from deploy/grafana/.
      expect(s.grafana.volumes).toEqual(expect.arrayContaining(['./deploy/grafana/provisioning:/etc/grafana/provisioning:ro', './deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro']));
      const ds = parse(readFileSync(fromRoot('deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8'));
      expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' });
      const provider = parse(readFileSync(fromRoot('deploy', 'grafana', 'provisioning', 'dashboards', 'gateway.yaml'), 'utf8')).providers[0];
      expect(provider.options.path).toBe('/var/lib/grafana/dashboards');
      const dash = JSON.parse(readFileSync(fromRoot('deploy', 'grafana', 'dashboards', 'ai-gateway.json'), 'utf8'));
      expect(dash.uid).toBe('ai-gateway');
      for (const p of dash.panels) for (const t of p.targets) expect(t.datasource.uid, p.title).toBe(ds.datasources[0].uid);
      expect(s.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe('/var/lib/grafana/dashboards/ai-gateway.json');
    } finally {
      process.env = saved;
    }
  });

  it('deploy/nginx.conf: SSE unbuffered, timeouts above the gateway\'s, no re-sent POSTs, every replica a compose service', () => {
    const nginx = readFileSync(fromRoot('deploy', 'nginx.conf'), 'utf8');
    const directive = (name: string) => nginx.match(new RegExp(`^\\s*${name}\\s+([^;]+);`, 'm'))?.[1];
    expect(directive('proxy_buffering')).toBe('off');
    // Upstream keep-alive needs HTTP/1.1 and an empty Connection header (nginx upstream module docs).
    expect(directive('keepalive')).toBeDefined();
    expect(directive('proxy_http_version')).toBe('1.1');
    expect(nginx).toMatch(/proxy_set_header Connection "";/);
    expect(nginx).toMatch(/proxy_set_header X-Request-Id \$\w+;/);
    const defaults = configSchema.parse({ providers: { o: { kind: 'openai', baseUrl: 'https://api.openai.com/v1' } } });
    const t = defaults.providers.o.timeouts;
    // Non-streamed answers are silent for up to totalMs; streams for up to firstByteMs before the first chunk.
    const readTimeout = seconds(directive('proxy_read_timeout')!);
    expect(readTimeout).toBeGreaterThan(t.totalMs / 1000 + t.firstByteMs / 1000);
    // The gateway, not nginx, answers an oversize body (413 in OpenAI's envelope).
    expect(Number(directive('client_max_body_size')!.replace(/m$/, '')) * 1024 * 1024).toBeGreaterThan(defaults.server.bodyLimitBytes);
    // `non_idempotent` would re-send a POST that reached a replica: billed twice.
    expect(directive('proxy_next_upstream')).not.toMatch(/non_idempotent/);
    const services = Object.keys(compose().services);
    const servers = [...nginx.matchAll(/^\s*server\s+([\w.-]+):(\d+)([^;]*);/gm)];
    expect(servers.map((m) => m[1]).sort()).toEqual(services.filter((n) => n.startsWith('gateway-')).sort());
    for (const m of servers) {
      expect(m[2]).toBe('8080');
      expect(m[3]).toMatch(/\bresolve\b/);
    }
    // `resolve` needs a shared-memory zone and a resolver (Docker's embedded DNS).
    expect(directive('zone')).toBeDefined();
    expect(directive('resolver')).toMatch(/^127\.0\.0\.11\b/);
  });

  it('the Dockerfile is multi-stage, non-root, and ships the files the gateway reads at run time', () => {
    const df = readFileSync(fromRoot('Dockerfile'), 'utf8');
    // One base for both stages (native modules are compiled in the first), glibc (onnxruntime-node has no musl build).
    expect(df).toMatch(/^ARG NODE_IMAGE=node:\d+-(bookworm|trixie)-slim$/m);
    expect(df.match(/^FROM \$\{NODE_IMAGE\} AS \w+$/gm)).toHaveLength(2);
    expect(df).not.toMatch(/^FROM (?!\$\{NODE_IMAGE\})/m);
    expect(df).toMatch(/^RUN (ONNXRUNTIME_NODE_INSTALL=skip )?npm ci /m);
    expect(df).toMatch(/npm run build && npm prune --omit=dev/);
    expect(df).toMatch(/^USER node$/m);
    expect(df).toMatch(/^CMD \["node", (".+", )?"dist\/src\/launch\.js"\]$/m);
    // Each runtime read (src/paths.ts fromRoot users, the injection model, the PII lexicons) must be copied into the image.
    for (const path of ['package.json', 'config', 'src/dashboard/public', 'guards/injection/model.json', 'guards/pii/lexicon']) {
      expect(df).toMatch(new RegExp(`COPY --from=build /app/${path.replace(/\./g, '\\.')} \\./${path.replace(/\./g, '\\.')}`));
    }
    // Every file src/ and guards/ read through fromRoot(...) at run time is under a copied path.
    const copied = [...df.matchAll(/^COPY --from=build \/app\/(\S+) /gm)].map((m) => m[1]);
    const srcFiles = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? srcFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));
    for (const file of [...srcFiles(fromRoot('src')), ...srcFiles(fromRoot('guards'))]) {
      for (const [, args] of readFileSync(file, 'utf8').matchAll(/fromRoot\(([^)]*)\)/g)) {
        if (file.endsWith('paths.ts')) continue;
        const path = [...args.matchAll(/'([^']+)'/g)].map((m) => m[1]).join('/');
        expect(copied.some((c) => path === c || path.startsWith(c + '/')), `${file}: ${path}`).toBe(true);
      }
    }
    // Ownership is set before VOLUME (later changes to a volume path are discarded) and before USER node.
    const at = (re: RegExp) => df.search(re);
    expect(at(/chown node:node \/app\/data/)).toBeGreaterThan(-1);
    expect(at(/chown node:node \/app\/data/)).toBeLessThan(at(/^VOLUME \["\/app\/data"\]/m));
    expect(at(/chown node:node/)).toBeLessThan(at(/^USER node$/m));
    expect(at(/^USER node$/m)).toBeLessThan(at(/^CMD /m));

    const ignore = readFileSync(fromRoot('.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', '.git', 'dist', '.env']));
    // Everything the build stage COPYs from the context exists and is not excluded (top-level names here).
    const excluded = new Set(ignore.filter((l) => l && !l.startsWith('#') && !l.startsWith('!')));
    for (const [, sources] of df.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of sources.split(/\s+/)) {
        expect(existsSync(fromRoot(src)), src).toBe(true);
        expect(excluded.has(src.split('/')[0]), `${src} is in .dockerignore`).toBe(false);
      }
    }
    // tsc (tsconfig.build.json) compiles these directories: all must be in the build context.
    for (const dir of JSON.parse(readFileSync(fromRoot('tsconfig.build.json'), 'utf8')).include as string[]) expect(df).toMatch(new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'));
  });

  it('npm start, the Dockerfile and the ai-gateway bin start the bundle launcher with the same node flags', () => {
    // Node's defaults: --max-semi-space-size=32 bought ~3 % saturation at the price of up to 32 MB more young
    // generation under load, which dominated memory per open stream (docs/performance.md).
    const flags = startNodeFlags();
    expect(flags).not.toContain('--max-semi-space-size=32');
    const shebang = flags.length ? `#!/usr/bin/env -S node ${flags.join(' ')}` : '#!/usr/bin/env node';
    const cmd = JSON.parse(readFileSync(fromRoot('Dockerfile'), 'utf8').match(/^CMD (\[.+\])$/m)![1]) as string[];
    expect(cmd).toEqual(['node', ...flags, 'dist/src/launch.js']);
    const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8'));
    expect(pkg.bin['ai-gateway']).toBe('dist/src/launch.js');
    expect(pkg.scripts.start.split(/\s+/).at(-1)).toBe('dist/src/launch.js');
    expect(readFileSync(fromRoot('src', 'launch.ts'), 'utf8').split('\n')[0]).toBe(shebang);
    // The built bin keeps the line (tsc preserves a leading #!).
    const built = fromRoot('dist', 'src', 'launch.js');
    if (existsSync(built)) expect(readFileSync(built, 'utf8').split('\n')[0]).toBe(shebang);
  });

  it('npm ci can install from the lockfile (it refuses a lockfile out of sync with package.json)', () => {
    const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8'));
    const lock = JSON.parse(readFileSync(fromRoot('package-lock.json'), 'utf8'));
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    expect(lock.packages[''].dependencies).toEqual(pkg.dependencies);
    expect(lock.packages[''].devDependencies).toEqual(pkg.devDependencies);
    for (const name of Object.keys(pkg.dependencies)) expect(lock.packages[`node_modules/${name}`], name).toBeDefined();
    // onnxruntime-node's install script would download CUDA binaries at build time; .npmrc skips it.
    expect(readFileSync(fromRoot('.npmrc'), 'utf8')).toMatch(/^onnxruntime-node-install=skip$/m);
  });
});

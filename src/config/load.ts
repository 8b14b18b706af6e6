/**
 * Loads the YAML config: `${VAR}` and `${VAR:-default}` references are resolved in string values after
 * parsing (never textually, so a variable cannot inject YAML), then the result is validated. Every error
 * names the path and the reason.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, parseDocument } from 'yaml';
import { configSchema, type GatewayConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${file}:\n  - ${problems.join('\n  - ')}`);
  }
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  return parseConfig(text, file, env);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new ConfigError(file, doc.errors.map((e) => e.message));
  const problems: string[] = [];
  const raw = interpolate(doc.toJS() ?? {}, env, [], problems);
  if (problems.length) throw new ConfigError(file, problems);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: string[], problems: string[]): unknown {
  if (typeof value === 'string') {
    const out = value.replace(REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      problems.push(`${path.join('.')}: environment variable ${name} is not set (use \${${name}:-default} for a default)`);
      return '';
    });
    // A value that is exactly one reference takes the scalar type of what it resolved to (PORT=8080 → 8080).
    if (WHOLE_REF.test(value) && /^(-?\d+(\.\d+)?|true|false)$/.test(out)) return parseYaml(out);
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, String(i)], problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k], problems)]),
    );
  }
  return value;
}

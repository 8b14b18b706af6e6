import type { z } from 'zod';
import { GatewayError } from '../core/errors.js';

/** Parses input with a zod schema; on failure throws 400 `invalid_request` naming the first bad field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' = 'body'): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.map(String).join('.');
  const param = path || null;
  throw new GatewayError('invalid_request', `Invalid ${where}${path ? ` field '${path}'` : ''}: ${issue.message}`, { param });
}

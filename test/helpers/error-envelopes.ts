/** Checks that an error body is in the envelope its API promises: each returns why not, or undefined when it is. */

/** `problemOf` applied to the parsed body, or "not JSON" when it does not parse. */
function parsedProblem(text: string, problemOf: (j: any) => string | undefined): string | undefined {
  let j: any;
  try {
    j = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 120)}`;
  }
  return problemOf(j);
}

/** Why a body is not OpenAI's error envelope `{ error: { message, type, param, code } }`. */
export function envelopeProblem(text: string): string | undefined {
  return parsedProblem(text, (j) => {
    const e = j?.error;
    if (!e || typeof e !== 'object') return `no error object: ${text.slice(0, 120)}`;
    if (typeof e.message !== 'string' || typeof e.type !== 'string') return `message/type not strings: ${text.slice(0, 120)}`;
    if (!('param' in e) || !('code' in e)) return `param/code missing: ${text.slice(0, 120)}`;
    if (e.param !== null && typeof e.param !== 'string') return 'param neither string nor null';
    if (e.code !== null && typeof e.code !== 'string') return 'code neither string nor null';
    return undefined;
  });
}

/** Why a body is not Anthropic's error envelope `{ type: 'error', error: { type, message } }` (/v1/messages). */
export function anthropicEnvelopeProblem(text: string): string | undefined {
  return parsedProblem(text, (j) =>
    j?.type !== 'error' || typeof j.error?.type !== 'string' || typeof j.error?.message !== 'string' ? `not Anthropic's envelope: ${text.slice(0, 120)}` : undefined,
  );
}

/** Why a body is not a JSON-RPC 2.0 error `{ jsonrpc: '2.0', error: { code, message }, id }` (the MCP gateway). */
export function jsonRpcEnvelopeProblem(text: string): string | undefined {
  return parsedProblem(text, (j) =>
    j?.jsonrpc !== '2.0' || !Number.isInteger(j.error?.code) || typeof j.error?.message !== 'string' || !('id' in j) ? `not a JSON-RPC error: ${text.slice(0, 120)}` : undefined,
  );
}

/**
 * What the guards that wait on something outside the event loop's control share (a local model, an LLM judge, an
 * external guardrail service): a deadline, and one error type that says the guard could not decide, so the
 * pipeline applies the team's `onError` (block with 503 `guard_unavailable`, or serve unchecked) the same way
 * for all of them.
 */

/** The guard could not reach a verdict: the model or service failed, timed out, or answered something unreadable. */
export class GuardUnavailableError extends Error {
  constructor(
    /** Short machine-readable cause for the audit entry: `timeout`, `model_unavailable`, `http_502`, `malformed_verdict`… */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `work` with a deadline: rejects with GuardUnavailableError('timeout') after `ms`, and aborts the signal it gave
 * `work` so an HTTP call behind it stops too. Other failures become GuardUnavailableError as well (their own
 * reason when they are one already).
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>, what: string): Promise<T> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new GuardUnavailableError('timeout', `${what} did not answer within ${ms} ms`));
      ctl.abort();
    }, ms);
  });
  try {
    return await Promise.race([work(ctl.signal), deadline]);
  } catch (err) {
    if (err instanceof GuardUnavailableError) throw err;
    throw new GuardUnavailableError('failed', `${what} failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

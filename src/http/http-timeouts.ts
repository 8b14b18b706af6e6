/**
 * How long a client may take to send a request (`server.requestTimeoutMs`, docs/operations.md: 60 s), as Node's
 * HTTP server needs it. Node checks these deadlines only every `connectionsCheckingInterval` (default 30 s): a
 * slowloris client dribbling header bytes was cut at 60–90 s instead of 60 s. Checking every second (less for
 * short test timeouts) keeps the cut within a second of the deadline; the check walks only connections with a
 * request still arriving, in C++, so it costs next to nothing.
 */
export interface HttpTimeouts {
  /** Whole request (head and body) must arrive within this. */
  requestTimeout: number;
  /** The head alone: the same bound (a slowloris client is cut whether it dribbles the head or the body). */
  headersTimeout: number;
  connectionsCheckingInterval: number;
}

export function httpTimeouts(requestTimeoutMs: number): HttpTimeouts {
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(requestTimeoutMs / 10))),
  };
}

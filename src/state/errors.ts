/** The backend (Redis, the SQLite file) cannot be reached or answered too slowly. Maps to 503 `state_unavailable`. */
export class StateUnavailableError extends Error {
  readonly code = 'state_unavailable';
  /**
   * The call may have been carried out though its answer never came (timed out, or the connection dropped while
   * it was in flight). The caller cannot tell: it must retry idempotently or undo it. False when the call surely
   * did not reach the backend (not connected, refused, or the backend answered with an error).
   */
  readonly mayHaveApplied: boolean;
  constructor(message: string, options?: { cause?: unknown; mayHaveApplied?: boolean }) {
    super(message, options);
    this.name = 'StateUnavailableError';
    this.mayHaveApplied = options?.mayHaveApplied ?? false;
  }
}

/** `extend` on a request that has no active reservation (never reserved, settled or expired). A caller bug. */
export class UnknownReservationError extends Error {
  constructor(readonly requestId: string) {
    super(`no active reservation for request ${requestId}`);
    this.name = 'UnknownReservationError';
  }
}

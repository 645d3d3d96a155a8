// A tiny concurrency limiter (no dependency for twenty lines), shared by the workers
// that call providers in parallel (push, notification SMS).

/** Runs at most `concurrency` tasks at once; the rest wait their turn, in order. */
export function pLimit(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  // A finishing task hands its slot straight to the next waiter.
  const release = () => {
    const resume = waiting.shift();
    if (resume) resume();
    else active -= 1;
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await task();
    } finally {
      release();
    }
  };
}

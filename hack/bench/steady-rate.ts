/**
 * Arrivals at a steady rate, as the latency sections need them: the i-th request is sent at start + i / rate, each
 * without waiting for the previous ones. Resolves with the rate achieved once every request has answered.
 */
export async function atSteadyRate(
  rate: number,
  seconds: number,
  send: (i: number) => Promise<unknown>,
): Promise<number> {
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(i));
  }
  await Promise.all(inFlight);
  return total / ((performance.now() - start) / 1000);
}

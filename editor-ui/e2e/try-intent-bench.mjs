// The try-intent benchmark: how long `POST /flows/{id}/draft/try-intent` takes when the draft
// is compiled for the request (a new draft revision before it, as every request was before
// the cache) against the same draft again (compiled once per revision, from the cache). One run
// of a real `callflow serve`, both back to back; figures go in BENCHMARKS.md.
// Usage (from editor-ui/, after `cargo build -p server`): node e2e/try-intent-bench.mjs [rounds]

import { api, startServer } from './harness.mjs';
const server = await startServer();
const call = api(server);
try {
  const flows = await call('GET', '/flows');
  const flow = flows.find((f) => f.name === 'order-status');
  const body = { node: 'ask_need', text: '帮我看看我买的东西到哪了' };
  const time = async () => {
    const t0 = performance.now();
    await call('POST', `/flows/${flow.id}/draft/try-intent`, body);
    return performance.now() - t0;
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cold = [];
  const warm = [];
  const rounds = Number(process.argv[2] ?? 10);
  for (let round = 0; round < rounds; round++) {
    // A new draft revision: the next request compiles, as every request did before.
    const current = await call('GET', `/flows/${flow.id}`);
    const draft = { ...current.draft, description: `round ${round}` };
    const res = await fetch(`${server.url}/api/v1/flows/${flow.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json', 'if-match': `"${current.revision}"` },
      body: JSON.stringify(draft),
    });
    if (!res.ok) throw new Error(await res.text());
    cold.push(await time());
    for (let i = 0; i < 5; i++) warm.push(await time());
  }
  console.log(`compile per request (new revision each time): median ${median(cold).toFixed(1)} ms over ${cold.length}`);
  console.log(`cached (same revision): median ${median(warm).toFixed(1)} ms over ${warm.length}`);
  console.log(`ratio ${(median(cold) / median(warm)).toFixed(1)}x`);
} finally {
  await server.stop();
}

// The editor benchmark: how long a 500-node flow takes to open and become interactive in
// Chromium, and the frame rate while panning it. Figures go in BENCHMARKS.md.
// Usage (from editor-ui/): node e2e/bench.mjs [nodes] [runs]

import { api, ensureArtifacts, launchBrowser, startServer } from './harness.mjs';
import { join } from 'node:path';

const NODES = Number(process.argv[2] ?? 500);
const RUNS = Number(process.argv[3] ?? 5);

/** A valid flow of `count` nodes: a chain of says, asks and branches, laid out in rows. */
export function bigFlow(count) {
  const nodes = [];
  const id = (i) => `n${i}`;
  const position = (i) => ({ x: (i % 20) * 260, y: Math.floor(i / 20) * 180 });
  for (let i = 0; i < count - 1; i += 1) {
    const next = id(i + 1);
    if (i % 10 === 5) {
      nodes.push({
        id: id(i), type: 'ask', position: position(i), prompt: `第${i}步：请问还有什么问题？`,
        save_as: 'answer',
        intents: [{ name: `topic_${i}`, examples: ['查订单', '查物流'], next }],
        next,
        no_match: { max: 1, next }, no_input: { max: 1, next },
      });
    } else if (i % 10 === 7) {
      nodes.push({
        id: id(i), type: 'branch', position: position(i),
        cases: [{ when: 'vars.answer == "查订单"', next }], else: next,
      });
    } else {
      nodes.push({ id: id(i), type: 'say', position: position(i), text: `第${i}步：{{vars.answer}}`, next });
    }
  }
  nodes.push({ id: id(count - 1), type: 'end', position: position(count - 1), outcome: 'resolved' });
  return {
    schema: 1, name: `big-${count}-${Date.now()}`, language: 'zh-CN', start: id(0),
    variables: { answer: '' }, nodes,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const server = await startServer();
  const browser = await launchBrowser();
  if (!browser) {
    await server.stop();
    process.exit(process.env.CI === 'true' ? 1 : 0);
  }
  try {
    const call = api(server);
    const flow = await call('POST', '/flows', bigFlow(NODES));
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(server.url);
    await page.getByTestId('login-email').fill(server.email);
    await page.getByTestId('login-password').fill(server.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('flow-list').waitFor();

    const opens = [];
    const interactive = [];
    const coldOpens = [];
    const coldInteractive = [];
    for (let run = 0; run < RUNS * 2; run += 1) {
      // Even runs open the flow from the list (the page is loaded); odd runs load the page
      // on the flow's address (scripts, styles and all, from the server's cache headers).
      const cold = run % 2 === 1;
      if (cold) {
        await page.goto('about:blank');
      } else {
        await page.goto(`${server.url}/#/`);
        await page.getByTestId('flow-list').waitFor();
      }
      const started = Date.now();
      await page.goto(`${server.url}/#/flows/${flow.id}`);
      await page.waitForFunction(
        (count) => document.querySelectorAll('.react-flow__node').length >= count,
        NODES,
        { timeout: 60_000, polling: 'raf' },
      );
      (cold ? coldOpens : opens).push(Date.now() - started);
      // Interactive: a click on a node selects it and opens its form.
      await page.locator('[data-testid="node-n0"]').click();
      await page.locator('[data-testid="property-panel"][data-owner="n0"]').waitFor();
      (cold ? coldInteractive : interactive).push(Date.now() - started);
    }

    // Panning: drag the empty canvas for two seconds while counting animation frames.
    const pane = page.locator('.react-flow__pane');
    const box = await pane.boundingBox();
    const from = { x: box.x + box.width - 40, y: box.y + box.height - 40 };
    await page.evaluate(() => {
      window.__frames = [];
      const count = (time) => {
        window.__frames.push(time);
        window.__frameLoop = requestAnimationFrame(count);
      };
      window.__frameLoop = requestAnimationFrame(count);
    });
    const panStarted = Date.now();
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    const steps = 120;
    for (let step = 1; step <= steps; step += 1) {
      await page.mouse.move(from.x - step * 8, from.y - step * 5);
      await page.waitForTimeout(16);
    }
    await page.mouse.up();
    const panMs = Date.now() - panStarted;
    const times = await page.evaluate(() => {
      cancelAnimationFrame(window.__frameLoop);
      return window.__frames;
    });
    const frames = times.length;
    const fps = (frames * 1000) / panMs;
    const gaps = times.slice(1).map((time, i) => time - times[i]).sort((a, b) => a - b);
    const gap = (p) => gaps[Math.min(gaps.length - 1, Math.floor((p / 100) * gaps.length))];
    await page.screenshot({ path: join(ensureArtifacts(), `bench-${NODES}-nodes.png`) });

    const figures = (label, shown, ready) =>
      `${label}: all nodes drawn median ${median(shown)} ms (max ${Math.max(...shown)}), ` +
      `interactive (a click on a node opens its form) median ${median(ready)} ms ` +
      `(max ${Math.max(...ready)})`;
    console.log(`${NODES}-node flow in Chromium, ${RUNS} opens each way:`);
    console.log(`  ${figures('from the flow list', opens, interactive)}`);
    console.log(`  ${figures('loading the page on the flow', coldOpens, coldInteractive)}`);
    console.log(
      `  panning (a mouse drag of ${steps} moves): ${frames} frames in ${panMs} ms = ` +
        `${fps.toFixed(1)} fps; frame interval p50 ${gap(50).toFixed(1)} ms, ` +
        `p95 ${gap(95).toFixed(1)} ms, max ${gaps[gaps.length - 1].toFixed(1)} ms`,
    );
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

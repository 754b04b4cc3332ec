// End-to-end steps of the editor's layout on the two screens managers use most, a 1366×768
// laptop and a 1920×1080 monitor: nothing is laid over the canvas (zoom and the map sit under the
// palette), "fit" keeps a 38-node flow readable and starts it where it begins, and the node a
// Try it conversation waits at is in plain view.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/layout.mjs

import { fileURLToPath } from 'node:url';
import { api, check, runAlone } from './harness.mjs';

const SCREENS = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
];

/** Node labels stay legible down to this zoom (editor-ui/src/editor/viewport.ts). */
const READABLE_ZOOM = 0.6;

function overlaps(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function inside(inner, outer) {
  return inner.x >= outer.x - 1 && inner.y >= outer.y - 1 && inner.x + inner.width <= outer.x + outer.width + 1 && inner.y + inner.height <= outer.y + outer.height + 1;
}

/** The canvas's zoom, read from the transform React Flow puts on its viewport. */
async function zoomOf(page) {
  const transform = await page.locator('.react-flow__viewport').evaluate((element) => element.style.transform);
  const match = /scale\(([\d.]+)\)/.exec(transform);
  return match ? Number(match[1]) : NaN;
}

/** Runs the steps in pages of their own size (`page` is not used). */
export async function layoutSteps({ browser, server, step }) {
  const flows = await api(server)('GET', '/flows');
  const complaints = (flows.items ?? flows).find((flow) => flow.slug === 'complaints' || flow.name === 'complaints' || /投诉/.test(flow.name));
  check(complaints, `the demo has the complaints flow: ${JSON.stringify(flows).slice(0, 300)}`);
  for (const screen of SCREENS) {
    const size = `${screen.width}x${screen.height}`;
    const context = await browser.newContext({ viewport: screen, locale: 'zh-CN' });
    const page = await context.newPage();
    try {
      await page.goto(server.url);
      await page.getByTestId('login-email').fill(server.email);
      await page.getByTestId('login-password').fill(server.password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('flow-list').waitFor();

      await step(page, `layout-${size}-01-nothing-lies-over-the-canvas`, async () => {
        await page.goto(`${server.url}/#/flows/${encodeURIComponent(complaints.id)}`);
        await page.locator('.react-flow__node').first().waitFor();
        await page.waitForTimeout(400);
        const canvas = await page.getByTestId('canvas').boundingBox();
        // React Flow's small credit line in the corner stays, as its authors ask.
        const panels = await page.locator('[data-testid="canvas"] .react-flow__panel:not(.react-flow__attribution):visible').count();
        check(panels === 0, `no panel is drawn over the canvas at ${size}: ${panels}`);
        const controls = await page.getByTestId('view-controls').boundingBox();
        check(controls && !overlaps(controls, canvas), `the zoom buttons are beside the canvas at ${size}`);
        const problems = await page.locator('.problems-panel').boundingBox();
        check(problems && !overlaps(problems, canvas), `the problems list is under the canvas at ${size}`);
        check(problems.height <= 171, `the problems list takes at most five rows: ${problems.height}px`);
        // The map opens beside the canvas too, when asked for.
        if ((await page.getByTestId('minimap-toggle').getAttribute('aria-expanded')) !== 'true') {
          await page.getByTestId('minimap-toggle').click();
        }
        const map = await page.locator('[data-testid="view-controls"] .react-flow__minimap').boundingBox();
        check(map && !overlaps(map, canvas), `the open map is beside the canvas at ${size}`);
      });

      await step(page, `layout-${size}-02-fit-stays-readable`, async () => {
        await page.getByTestId('toolbar-fit').click();
        await page.waitForTimeout(500);
        const zoom = await zoomOf(page);
        check(zoom >= READABLE_ZOOM - 1e-6, `fit keeps the flow readable at ${size}: zoom ${zoom}`);
        const shown = await page.getByTestId('zoom-level').textContent();
        check(shown === `${Math.round(zoom * 100)}%`, `the zoom is shown: ${shown} for ${zoom}`);
        const canvas = await page.getByTestId('canvas').boundingBox();
        const entry = await page.locator('.react-flow__node-flow').boundingBox();
        check(entry && inside(entry, canvas), `the flow's start is in view after fit at ${size}`);
      });

      await step(page, `layout-${size}-03-try-it-node-in-view`, async () => {
        await page.getByTestId('tab-tryit').click();
        await page.getByTestId('tryit-start').click();
        const current = page.locator('.flow-node.trace-current');
        await current.waitFor();
        await page.waitForTimeout(500);
        const canvas = await page.getByTestId('canvas').boundingBox();
        const box = await current.boundingBox();
        check(box && inside(box, canvas), `the node Try it waits at is inside the canvas at ${size}`);
      });
    } finally {
      await context.close();
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('layout', layoutSteps);
}

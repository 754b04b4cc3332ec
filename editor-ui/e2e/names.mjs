// End-to-end steps of names as a manager meets them: a flow made from the 订单查询 template is
// named by the manager (its key is generated), a node dropped from the palette is called by its
// kind and a number, an intent is given a name (its key is generated); and nowhere (canvas,
// problems, the publish dialog, Try it) does an id show, in Chinese and in English, at
// 1366×768 and 1920×1080.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/names.mjs

import { fileURLToPath } from 'node:url';
import { api, check, runAlone, shot, TIMEOUT } from './harness.mjs';

/** The ids and intent keys of the flow's draft, which no visible text may hold. */
async function keysOf(server, flowId) {
  const flow = await api(server)('GET', `/flows/${flowId}`);
  const draft = flow.draft;
  const intents = [...(draft.global_intents ?? []), ...draft.nodes.flatMap((node) => node.intents ?? [])];
  return { name: draft.name, ids: draft.nodes.map((node) => node.id), intents: intents.map((intent) => intent.name) };
}

/** The texts among `texts` that show one of `keys` as a word. */
function showingKeys(texts, keys) {
  return texts.filter((text) => keys.some((key) => new RegExp(`(^|[^A-Za-z0-9_])${key}($|[^A-Za-z0-9_])`).test(text)));
}

async function canvasTitles(page) {
  return page.locator('.react-flow__node .node-title').allTextContents();
}

/** Runs the steps on a signed-in `page` of `server`; `step` names and screenshots each. */
export async function namesSteps({ page, server, step }) {
  const title = `售后订单查询${Date.now() % 100000}`;
  let flowId = '';
  const viewport = page.viewportSize();
  await page.goto(`${server.url}/#/`);
  await page.getByTestId('flow-list').waitFor({ timeout: TIMEOUT });
  await page.setViewportSize({ width: 1366, height: 768 });

  await step(page, 'names-01-a-flow-from-a-template-is-named-not-keyed', async () => {
    await page.getByTestId('create-flow').click();
    await page.getByTestId('template-order-status').click();
    const suggested = await page.getByTestId('create-name').inputValue();
    check(/^订单查询/.test(suggested), `the template suggests its Chinese name: ${suggested}`);
    await shot(page, 'names-01-create-dialog-zh-1366');
    await page.getByTestId('create-name').fill(title);
    await page.getByTestId('create-submit').click();
    await page.getByTestId('node-fetch_order').waitFor({ timeout: TIMEOUT });
    flowId = decodeURIComponent(page.url().split('#/flows/')[1] ?? '');
    const header = await page.getByTestId('flow-title').textContent();
    check(header === title, `the header shows the name: ${header}`);
    const keys = await keysOf(server, flowId);
    check(/^order-status(-\d+)?$/.test(keys.name), `the key is generated from the template: ${keys.name}`);
    const shown = showingKeys(await canvasTitles(page), keys.ids);
    check(shown.length === 0, `no node id on the canvas: ${shown.join(' | ')}`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="problem"][data-severity="error"]').length === 0, null, { timeout: TIMEOUT });
    await page.getByTestId('publish-button').click();
    await page.getByTestId('publish-confirm').click();
    await page.getByTestId('publish-dialog').waitFor({ state: 'detached' });
  });

  await step(page, 'names-02-try-it-names-nodes-and-intents', async () => {
    await page.getByTestId('tab-tryit').click();
    await page.getByTestId('tryit-start').click();
    await page.locator('[data-testid="tryit-message"][data-node="ask_need"]').waitFor();
    await page.getByTestId('tryit-input').fill('查物流');
    await page.getByTestId('tryit-send').click();
    await page.locator('[data-testid="tryit-message"][data-node="ask_order_id"]').waitFor();
    const status = await page.getByTestId('tryit-status').textContent();
    check(status.includes('查订单') && !status.includes('track_order'), `the intent by its name: ${status}`);
    const nodes = await page.locator('[data-testid="tryit-message"] .chat-node').allTextContents();
    const keys = await keysOf(server, flowId);
    const shown = showingKeys([...nodes, status], keys.ids);
    check(shown.length === 0, `no node id in Try it: ${shown.join(' | ')}`);
    await page.setViewportSize({ width: 1920, height: 1080 });
    await shot(page, 'names-02-try-it-zh-1920');
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.getByTestId('tryit-hangup').click().catch(() => {});
    await page.getByTestId('tab-properties').click();
  });

  await step(page, 'names-03-a-new-node-and-intent-get-names', async () => {
    const canvas = page.getByTestId('canvas');
    const box = await canvas.boundingBox();
    await page.getByTestId('palette-ask').dragTo(canvas, { targetPosition: { x: box.width * 0.5, y: box.height * 0.15 } });
    await page.getByTestId('node-ask_1').waitFor();
    const added = await page.locator('[data-testid="node-ask_1"] .node-title').textContent();
    check(added === '提问 1', `the new node is called by its kind and a number: ${added}`);
    await page.getByTestId('node-ask_1').click();
    await page.locator('[data-testid="property-panel"][data-owner="ask_1"]').waitFor();
    check(!(await page.getByTestId('node-id').isVisible()), 'the node id waits behind the advanced fold');
    await page.getByTestId('add-intent').click();
    const name = page.getByTestId('intent-name').last();
    await name.fill('查发票');
    await page.locator('[data-testid="node-ask_1"] .port-label', { hasText: '查发票' }).waitFor();
    const keys = await keysOf(server, flowId).catch(() => null);
    const intentKeys = keys?.intents ?? [];
    check(!intentKeys.includes('查发票'), 'the intent key is generated, not the name');
  });

  await step(page, 'names-04-problems-name-nodes', async () => {
    const toggle = page.getByTestId('problems-toggle');
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    await page.locator('[data-testid="problem"][data-node="ask_1"]').first().waitFor({ timeout: TIMEOUT });
    const where = await page.locator('[data-testid="problem"] .problem-where').allTextContents();
    const keys = await keysOf(server, flowId);
    const shown = showingKeys(where, keys.ids);
    check(shown.length === 0, `no node id in the problems: ${shown.join(' | ')}`);
    check(where.includes('提问 1'), `the problem names the node: ${where.join(' | ')}`);
  });

  await step(page, 'names-05-the-publish-dialog-names-nodes', async () => {
    await page.getByTestId('publish-button').click();
    const addedLine = page.getByTestId('publish-added');
    await addedLine.waitFor();
    const text = await page.getByTestId('publish-changes').textContent();
    check(text.includes('提问 1') && !text.includes('ask_1'), `the added node by its name: ${text}`);
    await shot(page, 'names-05-publish-dialog-zh-1366');
    await page.keyboard.press('Escape');
    await page.getByTestId('publish-dialog').waitFor({ state: 'detached' });
  });

  await step(page, 'names-06-in-english', async () => {
    await page.getByTestId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
    await page.reload();
    await page.getByTestId('node-ask_1').waitFor({ timeout: TIMEOUT });
    const keys = await keysOf(server, flowId);
    const shown = showingKeys(await canvasTitles(page), keys.ids);
    check(shown.length === 0, `no node id on the English canvas: ${shown.join(' | ')}`);
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.getByTestId('publish-button').click();
    await page.getByTestId('publish-added').waitFor();
    const text = await page.getByTestId('publish-changes').textContent();
    check(!text.includes('ask_1') && /add 1 node/i.test(text), `the English publish dialog: ${text}`);
    await shot(page, 'names-06-publish-dialog-en-1920');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1366, height: 768 });
    // Try it runs a draft without errors: the unfinished new node goes again.
    await page.getByTestId('node-ask_1').click();
    await page.keyboard.press('Delete');
    await page.getByTestId('node-ask_1').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="problem"][data-severity="error"]').length === 0, null, { timeout: TIMEOUT });
    await page.getByTestId('tab-tryit').click();
    await page.getByTestId('tryit-start').click();
    await page.locator('[data-testid="tryit-message"][data-node="ask_need"]').waitFor();
    await page.getByTestId('tryit-input').fill('查物流');
    await page.getByTestId('tryit-send').click();
    await page.locator('[data-testid="tryit-message"][data-node="ask_order_id"]').waitFor();
    const status = await page.getByTestId('tryit-status').textContent();
    check(!status.includes('track_order'), `the English Try it names the intent: ${status}`);
    await shot(page, 'names-06-try-it-en-1366');
    await page.goto(`${server.url}/#/`);
    await page.getByTestId('flow-list').waitFor();
    const row = page.locator(`[data-testid="flow-row"][data-title="${title}"]`);
    await row.waitFor();
    const listed = await page.locator('[data-testid="flow-open"]').allTextContents();
    check(listed.includes('订单查询') || listed.some((t) => /[\u4e00-\u9fff]/.test(t)), `the examples are listed by their names: ${listed.join(' | ')}`);
    check(!listed.includes('order-status'), `no example is listed by its key: ${listed.join(' | ')}`);
    await page.getByTestId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="zh-CN"]').waitFor();
  });
  if (viewport) await page.setViewportSize(viewport);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('names', namesSteps, { width: 1366, height: 768 });
}

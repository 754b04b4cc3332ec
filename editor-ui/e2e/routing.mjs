// End-to-end steps of a handoff's routing rules, as a manager edits them: open the demo's
// complaints flow, select its handoff, find its two rules (angry callers and typed complaints to
// 投诉), add a third from a preset (the conversation is in English → 客服) with the queue picked
// by name (the draft then has unpublished changes), and take it out again so the draft is as
// it was (and the marker goes); then an angry customer chatting
// with the published flow is handed off, and the context card in the agent console says why.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/routing.mjs

import { fileURLToPath } from 'node:url';
import { api, check, runAlone, TIMEOUT } from './harness.mjs';

async function waitSaved(page) {
  await page.locator('[data-testid="save-status"][data-state="saved"]').waitFor({ timeout: TIMEOUT });
}

/** Runs the steps on a signed-in `page` of `server`; `step` names and screenshots each. */
export async function routingSteps({ page, server, step }) {
  const flows = await api(server)('GET', '/flows');
  const flow = flows.find((f) => f.name === 'complaints');
  check(flow, 'the demo tenant has the complaints flow');
  const rules = page.getByTestId('handoff-route');

  await step(page, 'routing-01-the-handoff-lists-its-rules', async () => {
    await page.goto(`${server.url}/#/flows/${encodeURIComponent(flow.id)}`);
    await page.getByTestId('node-handoff_complaints').waitFor();
    // The demo's draft is its live version: nothing unpublished.
    await page.locator('[data-testid="published-version"][data-draft="same"]').waitFor();
    // The whole flow in view (the canvas settles after it opens), so the node can be clicked.
    await page.getByTestId('toolbar-fit').click();
    await page.waitForTimeout(400);
    await page.getByTestId('node-handoff_complaints').click();
    await page.locator('[data-testid="property-panel"][data-owner="handoff_complaints"]').waitFor();
    await page.getByTestId('handoff-routes').scrollIntoViewIfNeeded();
    check((await rules.count()) === 2, `two rules: ${await rules.count()}`);
    const first = rules.nth(0);
    check((await first.getByTestId('route-preset').inputValue()) === 'angry', 'rule 1 is the angry-caller preset');
    check((await first.getByTestId('route-queue').inputValue()) === 'complaints', 'rule 1 sends to 投诉');
    const queueName = await first.getByTestId('route-queue').locator('option:checked').textContent();
    check(queueName === '投诉', `the queue is shown by its name: ${queueName}`);
    check((await page.getByTestId('handoff-target').inputValue()) === 'after-sales', 'everyone else goes to 售后');
  });

  await step(page, 'routing-02-a-rule-from-a-preset', async () => {
    await page.getByTestId('add-route').click();
    const third = rules.nth(2);
    await third.getByTestId('route-preset').selectOption('en');
    await third.getByTestId('route-queue').selectOption('customer-service');
    const when = await third.getByTestId('route-when').textContent();
    check(when === 'call.language.starts_with("en")', `the preset's condition: ${when}`);
    const label = await third.getByTestId('route-label').inputValue();
    check(label === '说英文', `the preset's reason: ${label}`);
    await waitSaved(page);
    await page.getByTestId('unpublished-changes').waitFor();
    await third.scrollIntoViewIfNeeded();
    const errors = await page.locator('[data-testid="problem"][data-severity="error"]').count();
    check(errors === 0, `the rule is valid: ${errors} errors`);
  });

  await step(page, 'routing-03-the-rule-removed', async () => {
    await rules.nth(2).getByRole('button', { name: '删除规则' }).click();
    check((await rules.count()) === 2, 'back to two rules');
    await waitSaved(page);
    // The draft is the live version again, to the letter: the marker goes.
    await page.locator('[data-testid="published-version"][data-draft="same"]').waitFor();
  });

  await step(page, 'routing-04-the-context-card-says-why', async () => {
    const call = api(server);
    const session = await call('POST', '/sessions', { flow_id: flow.id, from: 'visitor-routing' });
    const handed = await call('POST', `/sessions/${session.id}/events`, { type: 'text', text: '太气人了，你们就是骗子！' });
    const handoff = handed.owner?.handoff;
    check(handoff, `the angry customer is handed off: ${JSON.stringify(handed.owner)}`);
    await page.goto(`${server.url}/console/handoffs/${handoff}`);
    const why = page.getByTestId('card-route');
    await why.waitFor();
    const text = await why.textContent();
    // The rule's queue, 投诉, even when it is closed and the conversation waits in its overflow.
    check(text?.includes('按第 1 条转接规则：客户情绪激动') && text.includes('→ 投诉'), `the card says which rule: ${text}`);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('routing', routingSteps);
}

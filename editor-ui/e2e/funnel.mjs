// End-to-end steps of the analytics overlay on the canvas: real calls first — the demo shop's
// order-status flow published again, then three web chats through the API (one hangs up at the
// first question, one asks 转人工, one gives no answer to the order number and hangs up) — and,
// once the roll-up has counted them, the flow's canvas with 数据 / Analytics on: the first
// question's badge, an edge's count, the empty state of a period without calls; in Chinese and
// in English. Part of the suite in run.mjs.

import { join } from 'node:path';
import { api, check, ensureArtifacts, shot, signedIn, TIMEOUT } from './harness.mjs';

const FLOW = 'order-status';
const FIRST_QUESTION = 'ask_need';

/** Runs the steps on a signed-in `page` of `server`; `step` names and screenshots each. */
export async function funnelSteps({ page, server, step }) {
  const call = api(server);
  let flow;
  let version;
  let funnel;

  await step(page, 'fn-01-three-web-chats-on-the-published-flow', async () => {
    flow = (await call('GET', '/flows')).find((f) => f.name === FLOW);
    check(flow, `the demo tenant has the ${FLOW} flow`);
    version = (await call('POST', `/flows/${flow.id}/publish`, { note: '端到端：数据' })).version;
    const chat = async (...events) => {
      let session = await call('POST', '/sessions', { flow_id: flow.id, version });
      check(session.node === FIRST_QUESTION, `a chat starts at the first question: ${session.node}`);
      for (const event of events) {
        if (session.ended) break;
        session = await call('POST', `/sessions/${session.id}/events`, event);
      }
      return session;
    };
    // Hangs up at the first question.
    const left = await chat({ type: 'hangup' });
    check(left.ended && left.outcome === 'abandoned', `the first chat was left: ${left.outcome}`);
    // Asks for a person in words; when that is not understood, presses 0 as the prompt says.
    const handed = await chat({ type: 'text', text: '转人工' }, { type: 'digits', digits: '0' });
    check(handed.owner?.state === 'waiting', `the second chat waits for an agent: ${JSON.stringify(handed.owner)}`);
    // The owner takes it in the console and ends it: the flow then ends as handed off.
    const person = await signedIn(server);
    await person('POST', `/handoffs/${handed.owner.handoff}/accept`);
    await person('POST', `/handoffs/${handed.owner.handoff}/end`, { disposition: 'resolved' });
    const agent = await call('GET', `/sessions/${handed.id}`);
    check(agent.ended && agent.outcome === 'handoff', `the second chat went to an agent: ${agent.outcome}`);
    // Wants an order tracked, says nothing when asked for the number, then hangs up.
    const quiet = await chat({ type: 'text', text: '查订单' }, { type: 'no_input' }, { type: 'hangup' });
    check(quiet.ended, 'the third chat ended');

    // The roll-up runs every 2 s; wait until it has counted all three.
    const deadline = Date.now() + 20_000;
    for (;;) {
      funnel = await call('GET', `/analytics/funnel?flow_id=${flow.id}&version=${version}`);
      const first = funnel.nodes.find((n) => n.node === FIRST_QUESTION);
      if (first?.reached === 3) break;
      check(Date.now() < deadline, `the funnel did not count the three chats in 20 s: ${JSON.stringify(funnel)}`);
      await new Promise((done) => setTimeout(done, 500));
    }
  });

  await step(page, 'fn-02-analytics-on-the-canvas-in-chinese', async () => {
    await page.goto(`${server.url}/#/flows/${encodeURIComponent(flow.id)}`);
    await page.getByTestId(`node-${FIRST_QUESTION}`).waitFor();
    check((await page.getByTestId('lang-switch').getAttribute('data-lang')) === 'zh-CN', 'the editor speaks Chinese');
    const toggle = page.getByTestId('toolbar-analytics');
    check((await toggle.textContent())?.includes('数据'), `the toggle is called 数据: ${await toggle.textContent()}`);
    await toggle.click();
    await page.getByTestId('analytics-bar').waitFor();
    // The versions are read when the bar opens: the live one is chosen once they arrive.
    await page
      .waitForFunction(
        (v) => document.querySelector('[data-testid="analytics-version"]')?.value === v,
        String(version),
        { timeout: TIMEOUT },
      )
      .catch(() => {});
    check(
      (await page.getByTestId('analytics-version').inputValue()) === String(version),
      `the live version ${version} is chosen`,
    );
    // The days shown are the ones the server counted (the shop's last seven).
    await page
      .waitForFunction(
        (day) => document.querySelector('[data-testid="analytics-from"]')?.value === day,
        funnel.from,
        { timeout: TIMEOUT },
      )
      .catch(() => {});
    check(
      (await page.getByTestId('analytics-from').inputValue()) === funnel.from &&
        (await page.getByTestId('analytics-to').inputValue()) === funnel.to,
      `the days counted are shown: ${funnel.from} to ${funnel.to}`,
    );
    const badge = page.locator(`[data-testid="analytics-${FIRST_QUESTION}"][data-reached="3"]`);
    await badge.waitFor({ timeout: TIMEOUT });
    const reached = await badge.locator('.stat-reached').textContent();
    check(reached?.includes('3'), `the first question was reached by 3 calls: ${reached}`);
    const hungUp = await badge.locator('.stat-hungup').textContent();
    check(hungUp?.includes('1') && hungUp.includes('33%'), `one of the three hung up there: ${hungUp}`);
    const expected = funnel.nodes.find((n) => n.node === FIRST_QUESTION);
    check(
      Number(await badge.getAttribute('data-no-match')) === expected.no_match,
      `the badge shows the server's no-match count ${expected.no_match}`,
    );
    // greeting → ask_need was taken by all three calls.
    const label = page.locator('.react-flow__edge-text', { hasText: '3 通经过' });
    await label.first().waitFor();
    check((await label.count()) >= 1, 'an edge is labelled with its 3 calls');
    // Nobody reached the goodbye: dimmed.
    check(
      (await page.getByTestId('node-say_goodbye').getAttribute('class'))?.includes('analytics-unreached'),
      'a node nobody reached is dimmed',
    );
    // The canvas opens at the flow's beginning, where the calls went; a close-up of it too.
    await page.waitForTimeout(300);
    await page.getByTestId('canvas').screenshot({ path: join(ensureArtifacts(), 'fn-02a-canvas-close-up.png') });
  });

  await step(page, 'fn-03-analytics-in-english-and-a-period-without-calls', async () => {
    await page.getByTestId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
    check((await page.getByTestId('toolbar-analytics').textContent())?.includes('Analytics'), 'the toggle reads Analytics');
    await page.locator('.react-flow__edge-text', { hasText: '3 calls' }).first().waitFor();
    const title = await page.locator(`[data-testid="analytics-${FIRST_QUESTION}"] .stat-hungup`).getAttribute('title');
    check(title === '1 hung up here (33%)', `the hang-ups explained in English: ${title}`);
    await page.waitForTimeout(300);
    await shot(page, 'fn-03a-analytics-in-english');
    await page.getByTestId('analytics-from').fill('2025-01-01');
    await page.getByTestId('analytics-to').fill('2025-01-07');
    const empty = page.getByTestId('analytics-empty');
    await empty.waitFor();
    check(
      (await empty.textContent()) === `No calls in this period for version ${version}.`,
      `the empty state: ${await empty.textContent()}`,
    );
    check(
      (await page.locator(`[data-testid="analytics-${FIRST_QUESTION}"]`).getAttribute('data-reached')) === '0',
      'no node was reached in that week',
    );
  });

  await step(page, 'fn-04-back-to-chinese-and-overlay-off', async () => {
    await page.getByTestId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="zh-CN"]').waitFor();
    check(
      (await page.getByTestId('analytics-empty').textContent()) === `这段时间内版本 ${version} 没有通话。`,
      'the empty state in Chinese',
    );
    await page.getByTestId('toolbar-analytics').click();
    await page.getByTestId('analytics-bar').waitFor({ state: 'detached' });
    check((await page.locator('.analytics-strip').count()) === 0, 'no badges with the overlay off');
  });
}

// End-to-end steps of a fresh install as a manager first sees it: `callflow serve` with its
// defaults gives the demo tenant two weeks of past calls. Yesterday's figures on the overview,
// the questions the bot did not understand, an outbound call in the calls list by the number
// called, a phone call's transcript, and where callers gave up on the flow's canvas.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/history.mjs

import { fileURLToPath } from 'node:url';
import { api, check, runWithOwnServer, startServer, watchedPage } from './harness.mjs';

const cardValue = (page, id) => page.locator(`[data-testid="card-${id}"] .card-value`).innerText();

/** Runs the steps in `browser` against a server of its own, started with the defaults. */
export async function historySteps({ browser, step }) {
  const server = await startServer({ history: true });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' });
  const { page, errors } = await watchedPage(context);
  try {
    await step(page, 'history-01-yesterday-on-a-fresh-install', async () => {
      await page.goto(server.url);
      await page.getByTestId('login-email').fill(server.email);
      await page.getByTestId('login-password').fill(server.password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('flow-list').waitFor();
      const shop = await page.locator('header .tenant').innerText();
      check(shop === '演示商城', `the editor names the shop in Chinese: ${shop}`);
      await page.getByTestId('nav-dashboard').click();
      await page.waitForURL(/\/dashboard$/);
      const week = Number(await cardValue(page, 'calls'));
      check(week > 100, `the last 7 days have the demo's calls: ${week}`);
      await page.getByTestId('period_yesterday').click();
      await page.waitForURL(/from=/);
      const yesterday = Number(await cardValue(page, 'calls'));
      check(yesterday > 5 && yesterday < week, `yesterday's calls: ${yesterday} of ${week}`);
      const contained = await cardValue(page, 'containment');
      check(/^\d+%$/.test(contained) && contained !== '0%', `containment: ${contained}`);
      check((await page.locator('[data-testid="chart-series"] svg rect').count()) > 1, 'yesterday by hour is drawn');
    });

    await step(page, 'history-02-what-callers-asked-that-no-flow-knows', async () => {
      await page.getByTestId('dash-nav-unheard').click();
      await page.waitForURL(/\/dashboard\/unheard/);
      await page.getByTestId('period_30_days').click();
      await page.waitForURL(/from=/);
      const rows = page.getByTestId('unheard-row');
      check((await rows.count()) > 5, `phrasings not understood are listed: ${await rows.count()}`);
      const text = await page.locator('main').innerText();
      check(/礼品包装|礼盒包装|包成礼物/.test(text), 'the gift-wrap question no flow answers is there');
      check(text.includes('实体店') || text.includes('门店'), 'so is the shop-visit question');
    });

    await step(page, 'history-03-outbound-calls-by-the-number-called', async () => {
      await page.getByTestId('dash-nav-calls').click();
      await page.waitForURL(/\/dashboard\/calls/);
      await page.getByTestId('filter-channel').selectOption('phone');
      await page.getByTestId('filter-apply').click();
      await page.waitForURL(/channel=phone/);
      const outbound = page.locator('[data-testid="call-row"]', { hasText: '外呼' });
      check((await outbound.count()) > 0, 'the survey and birthday calls are listed');
      const row = await outbound.first().innerText();
      check(/\+86138\d{8}/.test(row), `an outbound call shows the member called: ${row}`);
      check(!row.includes('+862160001234'), `not the shop's own line: ${row}`);
    });

    await step(page, 'history-04-a-phone-calls-transcript', async () => {
      const inbound = page.locator('[data-testid="call-row"]', { hasText: '呼入' }).first();
      await inbound.getByTestId('call-link').click();
      await page.waitForURL(/\/dashboard\/calls\/[^/?]+$/);
      const lines = await page.getByTestId('line').count();
      check(lines >= 3, `the call's turns are shown: ${lines}`);
      check((await page.getByTestId('call-outcome').innerText()).trim() !== '', 'with its outcome');
      const number = await page.getByTestId('call-number').innerText();
      check(/^\+(86138\d{8}|1415555\d{4})$/.test(number), `and the caller's number: ${number}`);
      const nodes = await page.locator('[data-testid="line"] td.node').allInnerTexts();
      check(
        // Which inbound call comes first depends on the day's demo history: a Chinese flow's or
        // the English one's. Either way a node shows its label, never a snake_case id.
        nodes.length >= 3 && !nodes.some((node) => /^[a-z][a-z0-9_]*$/.test(node.trim())),
        `nodes are named as in the editor, not by their ids: ${nodes.join(', ')}`,
      );
    });
    await step(page, 'history-04a-the-transcript-in-english', async () => {
      await context.addCookies([{ name: 'callflow_lang', value: 'en', url: server.url }]);
      await page.reload();
      const text = await page.locator('main').innerText();
      check(text.includes('Transcript') && text.includes('Who'), `the transcript speaks English: ${text.slice(0, 200)}`);
      // The flow's own words (its prompts, its node names) stay as written; the page's do not.
      check(!/识别为|来电者|作为回答记下|未识别出意图|通话记录/.test(text), 'no Chinese words of the page remain');
      await context.addCookies([{ name: 'callflow_lang', value: 'zh-CN', url: server.url }]);
    });
    await step(page, 'history-05-where-callers-gave-up-on-the-canvas', async () => {
      const flows = await api(server)('GET', '/flows');
      const flow = (flows.flows ?? flows).find((f) => f.name === 'order-status');
      await page.goto(`${server.url}/#/flows/${encodeURIComponent(flow.id)}`);
      await page.getByTestId('node-ask_need').waitFor();
      await page.getByTestId('toolbar-analytics').click();
      await page.getByTestId('analytics-bar').waitFor();
      const badge = page.locator('[data-testid="analytics-ask_need"][data-reached]');
      await badge.waitFor();
      const reached = Number(await badge.getAttribute('data-reached'));
      check(reached > 30, `the first question was reached by the week's calls: ${reached}`);
      const hungUp = await badge.locator('.stat-hungup').textContent();
      check(/\d+%/.test(hungUp ?? ''), `how many hung up there, as a share: ${hungUp}`);
      check((await page.locator('.react-flow__edge-text', { hasText: '通经过' }).count()) > 3, 'the ports taken are labelled');
      await page.waitForTimeout(300);
    });
    check(errors.length === 0, `the page logged errors: ${errors.map(String).join('; ')}`);
  } finally {
    await context.close();
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runWithOwnServer('history', historySteps);
}

// End-to-end steps of the call-analytics dashboard (pages rendered on the server): three
// conversations with the demo shop's order-status flow, then the overview in Chinese from the
// editor's 数据看板 link, a call's transcript, the switch to English (which the editor follows),
// the overview with JavaScript disabled and its filter form, a signed-out visitor sent to sign
// in and back, and a knowledge answer listed by its entry's question.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/dashboard.mjs

import { fileURLToPath } from 'node:url';
import { api, check, runAlone, shot, signedIn, TIMEOUT, watchedPage } from './harness.mjs';

/** Words of three or more Latin letters, apart from those allowed (names users gave, ids shown as code). */
function englishWords(text, allowed) {
  const rest = [...allowed]
    .sort((a, b) => b.length - a.length)
    .reduce((left, ok) => left.replace(new RegExp(ok.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), ' '), text);
  return rest.match(/[A-Za-z]{3,}/g) ?? [];
}

/** What users named and the ids shown as code on the page: not words of the page's language. */
async function userTexts(page) {
  const codes = await page.locator('main code').allInnerTexts();
  const options = await page.locator('main select[name="flow_id"] option').allInnerTexts();
  const cells = await page.locator('main table[data-testid="versions"] tbody td:first-child').allInnerTexts();
  return [...codes, ...options.slice(1), ...cells, 'CSV'].filter((text) => text.trim() !== '');
}

/** Three conversations through the sessions API: resolved, handed to a person, abandoned. */
async function threeCalls(server) {
  const call = api(server);
  const flows = await call('GET', '/flows');
  const flow = (flows.flows ?? flows).find((f) => f.name === 'order-status');
  check(flow, `the demo tenant has the order-status flow: ${JSON.stringify(flows).slice(0, 300)}`);
  const start = () => call('POST', '/sessions', { flow_id: flow.id, from: '13800000000' });
  const say = (session, event) => call('POST', `/sessions/${session.id}/events`, event);
  const resolved = await start();
  await say(resolved, { type: 'text', text: '我的快递到哪了', confidence: 0.92 });
  await say(resolved, { type: 'digits', digits: '2024061801#' });
  await say(resolved, { type: 'text', text: '不用了，谢谢' });
  // Handed to the orders queue, where the owner takes the chat and ends it.
  const handed = await say(await start(), { type: 'text', text: '转人工' });
  const agent = await signedIn(server);
  await agent('POST', `/handoffs/${handed.owner.handoff}/accept`);
  await agent('POST', `/handoffs/${handed.owner.handoff}/end`, { disposition: 'resolved' });
  await say(await start(), { type: 'hangup' });
  return { flow, callId: resolved.call_id };
}

/** The figure on an overview card. */
const cardValue = (page, id) => page.locator(`[data-testid="card-${id}"] .card-value`).innerText();

/** Runs the steps on a signed-in `page` (in Chinese) of `server`; `step` names and screenshots each. */
export async function dashboardSteps({ browser, page, server, step }) {
  const { flow, callId } = await threeCalls(server);

  await step(page, 'dash-01-overview-in-chinese', async () => {
    await page.goto(`${server.url}/#/`);
    const link = page.getByTestId('nav-dashboard');
    check((await link.innerText()) === '数据看板', 'the editor links to 数据看板');
    await link.click();
    await page.waitForURL(/\/dashboard$/);
    // The roll-up counts ended conversations every 2 s.
    const counted = async () => (await page.getByTestId('card-calls').count()) > 0 && (await cardValue(page, 'calls')) === '3';
    for (let tries = 0; tries < 20 && !(await counted()); tries += 1) {
      await page.waitForTimeout(1000);
      await page.reload();
    }
    check((await page.locator('h1').innerText()) === '概览', 'the page is called 概览');
    check((await page.getAttribute('html', 'lang')) === 'zh-CN', 'the page is in Chinese');
    check((await cardValue(page, 'calls')) === '3', `three calls: ${await cardValue(page, 'calls')}`);
    check((await cardValue(page, 'containment')) === '33%', 'one of three contained');
    check((await page.locator('[data-testid="chart-series"] svg rect').count()) > 1, 'calls per day are drawn');
    check((await page.locator('[data-testid="chart-hours"] svg').count()) === 1, 'calls by hour are drawn');
    check((await page.locator('[data-testid="versions"] tbody tr').count()) === 1, 'one version compared');
    const stray = englishWords(await page.locator('main').innerText(), await userTexts(page));
    check(stray.length === 0, `English words on the Chinese page: ${stray.join(', ')}`);
  });

  await step(page, 'dash-02-transcript', async () => {
    await page.getByTestId('dash-nav-calls').click();
    await page.waitForURL(/\/dashboard\/calls/);
    check((await page.getByTestId('call-row').count()) === 3, 'three calls listed');
    await page.locator(`[data-testid="call-row"][data-call-id="${callId}"] [data-testid="call-link"]`).click();
    await page.waitForURL(new RegExp(`/dashboard/calls/${callId}$`));
    const text = await page.getByTestId('transcript').innerText();
    for (const words of ['我的快递到哪了', '识别为：查订单', '按键：2024061801', '通话结束：已解决']) {
      check(text.includes(words), `the transcript shows ${words}`);
    }
    check((await page.getByTestId('call-outcome').innerText()) === '已解决', 'the outcome is in Chinese');
    // The flow's own names (its variables, the shop's web address) are the author's, not the page's.
    const allowed = [...(await userTexts(page)), flow.name, 'track_order', 'order_id', 'more', 'help', 'GET', 'http://demo-shop.internal/api/orders/'];
    const stray = englishWords(await page.locator('main').innerText(), allowed);
    check(stray.length === 0, `English words on the Chinese transcript: ${stray.join(', ')}`);
  });

  await step(page, 'dash-03-switch-to-english', async () => {
    await page.getByTestId('dash-lang-switch').click();
    await page.locator('[data-testid="dash-lang-switch"][data-lang="en"]').waitFor();
    check((await page.locator('h1').innerText()) === 'Transcript', 'the transcript speaks English');
    check((await page.getByTestId('call-outcome').innerText()) === 'Resolved', 'the outcome is in English');
    await page.getByTestId('dash-nav-overview').click();
    await page.getByTestId('card-containment').waitFor();
    const label = await page.locator('[data-testid="card-containment"] .card-label').innerText();
    check(label === 'Containment', `the cards speak English: ${label}`);
    await shot(page, 'dash-03-overview-in-english');
    check(!/[\u4e00-\u9fff]/.test(await page.locator('main h1, main th, .card-label').allInnerTexts().then((t) => t.join(' '))), 'no Chinese labels on the English page');
    // The editor follows the choice.
    await page.getByTestId('dash-nav-flows').click();
    await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
    await shot(page, 'dash-03-editor-follows-in-english');
    await page.getByTestId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="zh-CN"]').waitFor();
  });

  const noScript = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN', javaScriptEnabled: false });
  const { page: plain } = await watchedPage(noScript);
  try {
    await noScript.addCookies(await page.context().cookies());
    await step(plain, 'dash-04-overview-without-javascript', async () => {
      await plain.goto(`${server.url}/dashboard`);
      check((await plain.locator('h1').innerText()) === '概览', 'the editor was switched back to Chinese: so is the dashboard');
      check((await cardValue(plain, 'calls')) === '3', 'the figures are there without scripts');
      check((await plain.locator('[data-testid="chart-series"] svg').count()) === 1, 'the chart is there without scripts');
      await plain.getByTestId('filter-flow').selectOption(flow.id);
      await plain.getByTestId('filter-channel').selectOption('phone');
      await plain.getByTestId('filter-apply').click();
      await plain.waitForURL(/channel=phone/);
      await plain.getByTestId('dash-empty').waitFor();
      check(plain.url().includes(`flow_id=${flow.id}`), `the form filters by flow: ${plain.url()}`);
    });
    await step(plain, 'dash-05-bad-filter-explained-without-javascript', async () => {
      await plain.getByTestId('filter-from').fill('2026-12-31');
      await plain.getByTestId('filter-to').fill('2026-01-01');
      await plain.getByTestId('filter-apply').click();
      const error = await plain.getByTestId('filter-error').innerText();
      check(error.includes('晚于结束日期'), `the error is in Chinese next to the form: ${error}`);
    });
  } finally {
    await noScript.close();
  }

  const signedOut = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' });
  const { page: visitor } = await watchedPage(signedOut);
  try {
    await step(visitor, 'dash-06-sign-in-and-come-back', async () => {
      await visitor.goto(`${server.url}/dashboard/calls?outcome=resolved`);
      await visitor.getByTestId('login-email').waitFor();
      await visitor.getByTestId('login-email').fill(server.email);
      await visitor.getByTestId('login-password').fill(server.password);
      await visitor.getByTestId('login-submit').click();
      await visitor.waitForURL(/\/dashboard\/calls\?outcome=resolved$/, { timeout: TIMEOUT });
      check((await visitor.getByTestId('call-row').count()) === 1, 'back on the page asked for, filtered');
    });
  } finally {
    await signedOut.close();
  }

  await step(page, 'dash-07-knowledge-answers-by-their-questions', async () => {
    const call = api(server);
    const flows = await call('GET', '/flows');
    const faq = (flows.flows ?? flows).find((f) => f.name === 'shop-faq');
    check(faq, 'the demo tenant has the shop-faq flow');
    const session = await call('POST', '/sessions', { flow_id: faq.id });
    await call('POST', `/sessions/${session.id}/events`, { type: 'text', text: '包邮吗' });
    await call('POST', `/sessions/${session.id}/events`, { type: 'text', text: '是的' });
    await call('POST', `/sessions/${session.id}/events`, { type: 'hangup' });
    await page.goto(`${server.url}/dashboard/knowledge`);
    for (let tries = 0; tries < 20 && (await page.getByTestId('knowledge-row').count()) === 0; tries += 1) {
      await page.waitForTimeout(1000);
      await page.reload();
    }
    const row = await page.getByTestId('knowledge-row').first().innerText();
    check(row.includes('运费怎么算'), `the entry is named by its question: ${row}`);
    check(!/kbe_/.test(row), `no entry ids: ${row}`);
    check((await page.locator('h1').innerText()) === '知识库回答', 'the page speaks Chinese');
  });

  await improvementLoop({ browser, page, server, step });
  await surveyResults({ page, server, step });
}

/**
 * Three callers answer the satisfaction survey (10, 9 and 2 points): the Results page charts
 * the scores with their mean and Net Promoter Score, in Chinese and in English.
 */
async function surveyResults({ page, server, step }) {
  const call = api(server);
  const flows = await call('GET', '/flows');
  const flow = (flows.flows ?? flows).find((f) => f.name === 'satisfaction-survey');
  for (const said of ['十分', '九分', '两分']) {
    const session = await call('POST', '/sessions', { flow_id: flow.id });
    await call('POST', `/sessions/${session.id}/events`, { type: 'text', text: said });
    const last = await call('POST', `/sessions/${session.id}/events`, { type: 'text', text: '物流很快' });
    check(last.ended, `the survey ends after the second answer: ${JSON.stringify(last)}`);
  }

  await step(page, 'dash-11-survey-results', async () => {
    await page.goto(`${server.url}/dashboard/results?flow_id=${flow.id}`);
    const score = page.locator('[data-testid="result"][data-var="score"]');
    // The dashboard is a few seconds behind the calls: wait until all three are counted.
    const counted = async () =>
      (await score.count()) > 0 && (await score.getByTestId('result-count').locator('.card-value').innerText()) === '3';
    for (let tries = 0; tries < 20 && !(await counted()); tries += 1) {
      await page.waitForTimeout(1000);
      await page.reload();
    }
    check((await page.locator('h1').innerText()) === '调查结果', 'the page speaks Chinese');
    check((await score.getByTestId('result-count').locator('.card-value').innerText()) === '3', 'three scores');
    check((await score.getByTestId('result-mean').locator('.card-value').innerText()).startsWith('7'), 'mean of 10, 9 and 2');
    // Two promoters and one detractor of three: NPS 33.
    check((await score.getByTestId('result-nps').locator('.card-value').innerText()).includes('33'), 'the NPS');
    check((await score.locator('[data-testid="result-chart"] svg').count()) === 1, 'the chart is drawn on the server');
    const reason = page.locator('[data-testid="result"][data-var="reason"]');
    check((await reason.getByTestId('result-text-note').count()) === 1, 'free answers say where their words are');
  });

  await step(page, 'dash-12-survey-results-in-english', async () => {
    await page.getByTestId('dash-lang-switch').click();
    await page.locator('[data-testid="dash-lang-switch"][data-lang="en"]').waitFor();
    check((await page.locator('h1').innerText()) === 'Results', 'the page speaks English');
    // A result's label is the shop's own name for it (满意度评分 in a Chinese flow), as a flow's
    // title is: the page's own words are what must be English.
    const labels = await page
      .locator('main h1, main h2, main th, .card-label, .card-note')
      .evaluateAll((found) => found.map((element) => {
        const copy = element.cloneNode(true);
        copy.querySelectorAll('[data-testid="result-label"]').forEach((label) => label.remove());
        return copy.textContent;
      }));
    check(!/[\u4e00-\u9fff]/.test(labels.join(' ')), `no Chinese labels on the English page: ${labels.join(' | ')}`);
    const names = await page.getByTestId('result-label').allInnerTexts();
    check(names.includes('满意度评分'), `the results are named by the flow's labels: ${names}`);
    await shot(page, 'dash-12a-results-page-in-english');
    await page.getByTestId('dash-lang-switch').click();
    await page.locator('[data-testid="dash-lang-switch"][data-lang="zh-CN"]').waitFor();
  });
}

/** A paraphrase the order-status flow's first question does not understand as shipped. */
const MISSED = '啥时候能送到我家';

/**
 * The improvement loop as a manager does it: callers say something the bot misses; on the "not
 * understood" page (scripts off) one choice and one click add it to the right intent; the
 * editor publishes the draft; the next callers are understood, and the overview's versions
 * table shows the new version's no-match rate below the old one's.
 */
async function improvementLoop({ browser, page, server, step }) {
  const call = api(server);
  const flows = await call('GET', '/flows');
  const flow = (flows.flows ?? flows).find((f) => f.name === 'order-status');
  /** Calls that say `text` at the first question, then hang up; the nodes they reached. */
  const missedCalls = async (count) => {
    const nodes = [];
    for (let i = 0; i < count; i += 1) {
      const session = await call('POST', '/sessions', { flow_id: flow.id });
      const heard = await call('POST', `/sessions/${session.id}/events`, { type: 'text', text: MISSED });
      nodes.push(heard.node);
      if (!heard.ended) await call('POST', `/sessions/${session.id}/events`, { type: 'hangup' });
    }
    return nodes;
  };
  const before = await missedCalls(2);
  check(before.every((node) => node === 'ask_need'), `the bot asks again, not understanding: ${before}`);

  const noScript = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN', javaScriptEnabled: false });
  const { page: plain } = await watchedPage(noScript);
  try {
    await noScript.addCookies(await page.context().cookies());
    await step(plain, 'dash-08-not-understood-teach-without-javascript', async () => {
      await plain.goto(`${server.url}/dashboard/unheard`);
      const row = plain.getByTestId('unheard-row').filter({ hasText: MISSED });
      for (let tries = 0; tries < 20 && (await row.count()) === 0; tries += 1) {
        await plain.waitForTimeout(1000);
        await plain.reload();
      }
      check((await row.innerText()).includes('×2'), `said twice: ${await row.innerText()}`);
      await row.getByTestId('teach-target').selectOption('intent:track_order');
      await shot(plain, 'dash-08a-intent-chosen');
      await row.getByTestId('teach-submit').click();
      const notice = await plain.getByTestId('teach-notice').innerText();
      check(notice.includes('发布新版本后'), `the page says what happens next: ${notice}`);
      check((await plain.getByTestId('unheard-row').filter({ hasText: MISSED }).count()) === 0, 'the phrasing left the list');
    });
  } finally {
    await noScript.close();
  }

  await step(page, 'dash-09-publish-the-draft-from-the-notice', async () => {
    await page.goto(`${server.url}/dashboard/unheard?notice=example&notice_flow=${flow.id}`);
    await page.getByTestId('teach-publish').click();
    await page.getByTestId('publish-button').click();
    await page.getByTestId('publish-note').fill('学会了新说法');
    const before = await page.getByTestId('published-version').innerText();
    await page.getByTestId('publish-confirm').click();
    // The badge shows the live version before the publish too: wait for the new number.
    await page.waitForFunction(
      (old) => document.querySelector('[data-testid="published-version"]')?.textContent !== old,
      before,
      { timeout: TIMEOUT },
    );
  });

  await step(page, 'dash-10-new-version-understands-and-misses-less', async () => {
    const after = await missedCalls(2);
    check(after.every((node) => node !== 'ask_need'), `the new version understands it: ${after}`);
    await page.goto(`${server.url}/dashboard?flow_id=${flow.id}`);
    const rows = page.locator('[data-testid="versions"] tbody tr');
    const rates = async () => {
      const texts = await rows.allInnerTexts();
      return texts.map((text) => text.split('\t'));
    };
    for (let tries = 0; tries < 20 && (await rows.count()) < 2; tries += 1) {
      await page.waitForTimeout(1000);
      await page.reload();
    }
    const table = await rates();
    check(table.length >= 2, `two versions compared: ${JSON.stringify(table)}`);
    const noMatch = async (version) => {
      const row = rows.filter({ has: page.locator('td:nth-child(2)', { hasText: new RegExp(`^${version}$`) }) });
      return parseFloat(await row.getByTestId('version-no-match').innerText());
    };
    const newest = Number(table[0][1]);
    const [now, then] = [await noMatch(newest), await noMatch(newest - 1)];
    check(now < then, `the new version misses less: ${now}% against ${then}%`);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('dashboard', dashboardSteps, { width: 1600, height: 1000 });
}

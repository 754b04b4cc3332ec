// End-to-end steps of the agent console, as a shop's agent works a shift: open 坐席工作台 in
// Chinese and become available; a customer chatting with the demo order-status flow asks for a
// person and appears in the waiting list without a reload; the agent takes the conversation,
// reads the context card, sees the customer's new line arrive live, replies (the customer gets
// it, the bot says nothing meanwhile), and hands the conversation back to the bot at 询问来电需求,
// which then answers the customer again; finally the console in English.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/console.mjs

import { fileURLToPath } from 'node:url';
import { api, check, runAlone, TIMEOUT } from './harness.mjs';

/** Words of three or more Latin letters on a Chinese page, apart from what the data holds. */
function englishWords(text, allowed) {
  const rest = allowed.reduce((left, ok) => left.split(ok).join(' '), text);
  return rest.match(/[A-Za-z]{3,}/g) ?? [];
}

/** Runs the steps on a signed-in `page` of `server`; `step` names and screenshots each. */
export async function consoleSteps({ page, server, step }) {
  const call = api(server);
  const flows = await call('GET', '/flows');
  const flow = flows.find((f) => f.name === 'order-status');
  check(flow, 'the demo tenant has the order-status flow');
  let session;
  let handoff;
  const say = async (text) => call('POST', `/sessions/${session.id}/events`, { type: 'text', text });

  await step(page, 'console-01-open-in-chinese-and-become-available', async () => {
    await page.goto(`${server.url}/console`);
    await page.getByTestId('presence').waitFor();
    check((await page.locator('h1').first().textContent()) === '坐席工作台', 'the console is called 坐席工作台');
    await page.getByTestId('presence').selectOption('available');
    await page.getByTestId('presence-form').locator('button').click();
    await page.getByTestId('console-notice').waitFor();
    check((await page.getByTestId('presence').inputValue()) === 'available', 'the agent is available');
    check((await page.getByTestId('waiting-count').textContent()) === '0', 'nobody waits yet');
    const stray = englishWords(await page.locator('main').innerText(), []);
    check(stray.length === 0, `English words on the Chinese console: ${stray.join(', ')}`);
  });

  await step(page, 'console-02-a-customer-asks-for-a-person-and-appears-live', async () => {
    session = await call('POST', '/sessions', { flow_id: flow.id, from: 'visitor-e2e' });
    const handed = await say('转人工');
    check(handed.owner.state === 'waiting', `the chat waits for a person: ${JSON.stringify(handed.owner)}`);
    handoff = handed.owner.handoff;
    // No reload: the list follows the server's events.
    await page.locator(`[data-testid="waiting-row"][data-id="${handoff}"]`).waitFor({ timeout: TIMEOUT });
    const row = await page.locator(`[data-testid="waiting-row"][data-id="${handoff}"]`).innerText();
    check(row.includes('订单') && row.includes('visitor-e2e'), `the row names the queue and customer: ${row}`);
  });

  await step(page, 'console-03-take-it-and-read-the-context-card', async () => {
    await page.locator(`[data-testid="waiting-row"][data-id="${handoff}"] [data-testid="accept"]`).click();
    await page.waitForURL(new RegExp(`/console/handoffs/${handoff}`));
    check((await page.getByTestId('standing').getAttribute('data-standing')) === 'mine', 'the agent has it');
    const card = await page.getByTestId('context-card').innerText();
    check(card.includes('visitor-e2e'), `the card names the customer: ${card}`);
    check((await page.getByTestId('card-intents').innerText()).includes('agent'), 'the card lists the intent heard');
    const transcript = await page.getByTestId('transcript').innerText();
    check(transcript.includes('转人工'), `the transcript so far: ${transcript}`);
  });

  await step(page, 'console-04-the-customers-new-line-arrives-live', async () => {
    const quiet = await say('我的快递三天没动了');
    check(quiet.messages.length === 0, `the bot says nothing while the agent has it: ${JSON.stringify(quiet.messages)}`);
    await page.locator('[data-testid="line"][data-kind="caller_said"]', { hasText: '我的快递三天没动了' }).waitFor();
  });

  await step(page, 'console-05-the-agent-replies', async () => {
    await page.getByTestId('reply-text').fill('您好，我是客服，马上帮您查一下物流。');
    await page.getByTestId('send').click();
    await page.locator('[data-testid="line"][data-kind="agent_said"]', { hasText: '马上帮您查一下物流' }).waitFor();
    check((await page.getByTestId('reply-text').inputValue()) === '', 'the box is empty after sending');
    const record = await call('GET', `/calls/${session.call_id}`);
    const agentLines = record.events.filter((e) => e.kind === 'agent_said').map((e) => e.data.text);
    check(agentLines.includes('您好，我是客服，马上帮您查一下物流。'), `the customer's record has the reply: ${agentLines}`);
  });

  await step(page, 'console-06-hand-back-to-the-bot', async () => {
    await page.getByTestId('hand-back-node').selectOption({ label: '询问来电需求' });
    await page.getByTestId('hand-back').click();
    await page.waitForURL(/\/console\?notice=handed_back/);
    await page.getByTestId('console-notice').waitFor();
    const state = await call('GET', `/sessions/${session.id}`);
    check(state.owner.state === 'bot', 'the bot has the chat again');
    check(state.node === 'ask_need', `the bot waits at 询问来电需求: ${state.node}`);
    const answer = await say('帮我查一下订单');
    check(answer.messages.length > 0, 'the bot answers again');
  });

  await step(page, 'console-07-in-english', async () => {
    await page.getByTestId('dash-lang-switch').click();
    await page.waitForURL(/\/console/);
    check((await page.locator('h1').first().textContent()) === 'Agent console', 'the console in English');
    const text = await page.locator('main').innerText();
    const chinese = text.match(/[\u4e00-\u9fff]+/g) ?? [];
    // The queue names are the tenant's own (售后, 订单…), shown in English where it gave one.
    check(chinese.length === 0, `Chinese words on the English console: ${chinese.join(', ')}`);
    await page.getByTestId('dash-lang-switch').click();
    await page.waitForURL(/\/console/);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('console', consoleSteps);
}

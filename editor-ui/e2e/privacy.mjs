// End-to-end steps of privacy, as a shop's owner meets it: on the Chinese page at 1366×768 the
// owner keeps conversations 30 days, finds the caller of a chat by the number typed another way,
// downloads their data and erases it in one click and one confirmation; on the English page at
// 1920×1080 the same for a visitor of the chat widget, with conversations kept again.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/privacy.mjs

import { fileURLToPath } from 'node:url';
import { api, check, runAlone, signedInPage } from './harness.mjs';

/** A chat with the demo's published flow from `from`, saying `words`, then leaving. */
async function demoChat(call, from, words) {
  const flows = await call('GET', '/flows');
  const flow = (flows.flows ?? flows).find((f) => f.published_version != null);
  check(flow, 'the demo has a published flow');
  const session = await call('POST', '/sessions', { flow_id: flow.id, from });
  await call('POST', `/sessions/${session.id}/events`, { type: 'text', text: words });
  await call('POST', `/sessions/${session.id}/events`, { type: 'hangup' });
}

/** No word of English in what a Chinese element says (numbers and the like aside). */
async function chineseOnly(locator, what) {
  const text = (await locator.textContent()) ?? '';
  check(!/[A-Za-z]{3,}/.test(text), `${what} is all Chinese: ${text}`);
}

export async function privacySteps({ browser, server, step }) {
  const call = api(server);
  await demoChat(call, '13712340987', '我的手机号是一三八零零一三八零零零，帮我查一下订单');
  await demoChat(call, '+14155550188', 'where is my parcel, this is Dana');

  const zh = await signedInPage(browser, server, { viewport: { width: 1366, height: 768 } });
  const page = zh.page;
  try {
    await step(page, 'privacy-01-zh-keep-conversations-30-days', async () => {
      await page.getByTestId('nav-privacy').click();
      check((await page.getByTestId('nav-privacy').textContent()) === '隐私', 'the nav entry says 隐私');
      await page.getByTestId('privacy-page').waitFor();
      await page.getByTestId('privacy-limit').check();
      await page.getByTestId('privacy-days').fill('30');
      await page.getByTestId('privacy-save').click();
      await page.getByTestId('privacy-saved').waitFor();
      const saved = await call('GET', '/privacy/retention');
      check(saved.retention_days === 30, `the retention is stored: ${JSON.stringify(saved)}`);
      await chineseOnly(page.getByTestId('privacy-retention'), 'the retention card');
    });

    await step(page, 'privacy-02-zh-find-the-caller-of-a-chat', async () => {
      await page.getByTestId('privacy-value').fill('+86 137 1234 0987');
      await page.getByTestId('privacy-find').click();
      const counts = page.getByTestId('privacy-counts');
      await counts.waitFor();
      const text = await counts.textContent();
      check(text.includes('0 通电话、1 次聊天'), `one chat is found: ${text}`);
      await chineseOnly(page.locator('.privacy-table'), 'the conversations found');
    });

    await step(page, 'privacy-03-zh-export-downloads-their-data', async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('privacy-export').click()]);
      check(download.suggestedFilename() === 'personal-data.json', `the file: ${download.suggestedFilename()}`);
    });

    await step(page, 'privacy-04-zh-erase-asks-once', async () => {
      await page.getByTestId('privacy-erase').click();
      const dialog = page.getByTestId('privacy-erase-dialog');
      await dialog.waitFor();
      const text = await dialog.textContent();
      check(text.includes('1 次对话会被永久删除'), `the dialog says what goes: ${text}`);
    });

    await step(page, 'privacy-05-zh-erased-with-counts', async () => {
      await page.getByTestId('confirm-ok').click();
      const erased = page.getByTestId('privacy-erased');
      await erased.waitFor();
      const text = await erased.textContent();
      check(/已删除：1 次对话、\d+ 条记录、0 次转人工/.test(text), `the counts erased: ${text}`);
      await page.getByTestId('privacy-counts').filter({ hasText: '没有找到此人的数据' }).waitFor();
      await chineseOnly(page.getByTestId('privacy-subject').locator('.privacy-found'), 'the result');
      const left = await call('POST', '/privacy/subjects/search', { phone: '13712340987' });
      check(left.conversations.length === 0, `nothing is left: ${JSON.stringify(left)}`);
    });
    check(zh.errors.length === 0, `the Chinese page logged errors: ${zh.errors.map(String).join('; ')}`);
  } finally {
    await zh.context.close();
  }

  const en = await signedInPage(browser, server, { viewport: { width: 1920, height: 1080 } });
  const english = en.page;
  try {
    await step(english, 'privacy-06-en-keep-conversations', async () => {
      await english.getByTestId('lang-switch').click();
      // The stored retention arrives after the page: choosing before it would be overwritten.
      const stored = english.waitForResponse((response) => response.url().endsWith('/privacy/retention') && response.request().method() === 'GET');
      await english.getByTestId('nav-privacy').click();
      await stored;
      check((await english.getByTestId('nav-privacy').textContent()) === 'Privacy', 'the nav entry says Privacy');
      await english.getByTestId('privacy-keep').check();
      await english.getByTestId('privacy-save').click();
      await english.getByTestId('privacy-saved').waitFor();
      const saved = await call('GET', '/privacy/retention');
      check(saved.retention_days === null, `conversations are kept again: ${JSON.stringify(saved)}`);
    });

    await step(english, 'privacy-07-en-find-and-erase-in-one-click', async () => {
      await english.getByTestId('privacy-value').fill('+1 415 555 0188');
      await english.getByTestId('privacy-find').click();
      const counts = english.getByTestId('privacy-counts');
      await counts.filter({ hasText: 'Found: calls 0, chats 1' }).waitFor();
      await english.getByTestId('privacy-erase').click();
      await english.getByTestId('confirm-ok').click();
      const erased = english.getByTestId('privacy-erased');
      await erased.waitFor();
      const text = await erased.textContent();
      check(/Erased: conversations 1, records \d+, handoffs 0/.test(text), `the counts erased: ${text}`);
      const left = await call('POST', '/privacy/subjects/search', { phone: '+14155550188' });
      check(left.conversations.length === 0, `nothing is left: ${JSON.stringify(left)}`);
    });
    check(en.errors.length === 0, `the English page logged errors: ${en.errors.map(String).join('; ')}`);
  } finally {
    await en.context.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('privacy', privacySteps);
}

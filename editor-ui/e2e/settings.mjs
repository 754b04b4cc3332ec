// End-to-end steps of the settings pages: a new customer-service manager, in Chinese at
// 1366×768, saves the shop's Twilio account and Deepgram key (write-only: afterwards only
// "已设置" shows), tests the connection against a local stand-in for Twilio and Deepgram that
// answers as they do (first with a wrong token, then the right one), binds a phone number to
// the 订单查询 flow, chosen by its title, and sees the two addresses to paste into Twilio,
// listens to the espeak-ng voice (the audio element loads the sample), and renames the shop,
// which the header shows at once, and sees the shop's usage against its quotas (at 1366×768
// and 1920×1080). The same pages in English at 1920×1080 (usage at both sizes). The Chinese
// pages must show no English sentence.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/settings.mjs

import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { check, runWithOwnServer, startServer, TIMEOUT, watchedPage } from './harness.mjs';

const ACCOUNT_SID = 'AC5e77e2f0a3b14c7d9e1f20a4b6c8d0e2';
const AUTH_TOKEN = 'e2e-auth-token-7c1d';
const DEEPGRAM_KEY = 'e2e-deepgram-key-41f9';
const NUMBER = '+8657188880000';

/**
 * Twilio's account resource and Deepgram's project list on one local port, answered as the
 * real services answer them (including their errors for wrong credentials).
 */
async function providers() {
  const basic = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
  const server = createServer((request, response) => {
    const json = (status, body) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.url === `/2010-04-01/Accounts/${ACCOUNT_SID}.json`) {
      if (request.headers.authorization !== basic) {
        json(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
        return;
      }
      json(200, {
        auth_token: AUTH_TOKEN,
        friendly_name: '演示商城 Twilio',
        sid: ACCOUNT_SID,
        owner_account_sid: ACCOUNT_SID,
        status: 'active',
        type: 'Full',
        uri: `/2010-04-01/Accounts/${ACCOUNT_SID}.json`,
      });
    } else if (request.url === '/v1/projects') {
      if (request.headers.authorization !== `Token ${DEEPGRAM_KEY}`) {
        json(401, { err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.', request_id: '7b7f4c4e-0000-4000-8000-000000000000' });
        return;
      }
      json(200, { projects: [{ project_id: '3f7a9a42-6f31-4c1e-9d8c-2b5e0f6a1c77', name: 'Shop', company: null }] });
    } else {
      json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((done) => server.close(done)) };
}

/** The server, pointed at the stand-in for Twilio and Deepgram. */
function serverWith(providerUrl) {
  return startServer({ env: { CALLFLOW_TWILIO_API_URL: providerUrl, CALLFLOW_DEEPGRAM_URL: providerUrl } });
}

/** English words in the page's text, besides the names of things that have no Chinese name. */
async function englishIn(page) {
  let text = await page.locator('main').innerText();
  // Flows' names are the shop's own; time zones are IANA's identifiers.
  const names = await page.locator('select[data-testid$="flow"] option, select[data-testid="profile-time-zone"] option').allInnerTexts();
  for (const name of names) text = text.split(name).join(' ');
  const allowed = /https?:\/\/\S+|\+\d+|AC[0-9a-f]{32}|Twilio|Deepgram|Aura|espeak-ng|Auth Token|API|SID|Webhook|HTTP POST|webhook|stream|Phone Numbers|Voice Configuration|A call comes in|Call status changes|UTC|Asia\/Shanghai|Europe\/Berlin|[A-Z][a-z]+\/[A-Za-z_]+|queue:|sip:|cmn|aura-2-thalia-en|Polly\.Zhiyu|tenant\.name|[A-Z]{2}\b/g;
  return (text.replace(allowed, ' ').match(/[A-Za-z]{3,}(?:\s+[A-Za-z]{2,})*/g) ?? []).filter((word) => word !== 'AC');
}

async function signIn(page, server) {
  await page.goto(server.url);
  await page.getByTestId('login-email').fill(server.email);
  await page.getByTestId('login-password').fill(server.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('flow-list').waitFor();
}

async function openSection(page, section) {
  await page.getByTestId('nav-settings').click();
  await page.getByTestId(`settings-tab-${section}`).click();
}

/** Runs the steps in `browser` against a server of its own. */
export async function settingsSteps({ browser, step }) {
  const fake = await providers();
  const server = await serverWith(fake.url);
  try {
    const zh = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
    const { page, errors } = await watchedPage(zh);
    await signIn(page, server);

    await step(page, 'settings-01-zh-telephony-account-saved-write-only', async () => {
      await openSection(page, 'telephony');
      await page.getByTestId('telephony-form').waitFor();
      await page.getByTestId('telephony-use-twilio').check();
      await page.getByTestId('telephony-account-sid').fill('AC123');
      await page.getByTestId('telephony-auth-token-input').fill('wrong-token');
      await page.getByTestId('telephony-save').click();
      const beside = page.getByTestId('field-error-/twilio/account_sid');
      await beside.waitFor();
      check(/十六进制/.test(await beside.textContent()), `the SID error is beside the field, in Chinese: ${await beside.textContent()}`);
      await page.getByTestId('telephony-account-sid').fill(ACCOUNT_SID);
      await page.getByTestId('telephony-use-deepgram').check();
      await page.getByTestId('telephony-deepgram-key-input').fill(DEEPGRAM_KEY);
      await page.getByTestId('telephony-save').click();
      await page.getByTestId('settings-saved').waitFor();
      await page.getByTestId('telephony-auth-token-state').waitFor();
      check((await page.getByTestId('telephony-auth-token-state').textContent()).includes('已设置'), 'the token shows as set');
      check((await page.getByTestId('telephony-deepgram-key-state').textContent()).includes('已设置'), 'the key shows as set');
      const html = await page.content();
      check(!html.includes(DEEPGRAM_KEY) && !html.includes('wrong-token'), 'no secret is on the page');
      const english = await englishIn(page);
      check(english.length === 0, `no English on the Chinese page: ${english.join(' | ')}`);
    });

    await step(page, 'settings-02-zh-test-connection-names-the-failure', async () => {
      await page.getByTestId('telephony-test').click();
      const twilio = page.getByTestId('check-twilio');
      await twilio.waitFor();
      check((await twilio.getAttribute('data-status')) === 'failed', 'a wrong token fails the Twilio check');
      check(/不接受/.test(await twilio.textContent()), `the reason, in Chinese: ${await twilio.textContent()}`);
      check((await page.getByTestId('check-deepgram').getAttribute('data-status')) === 'ok', 'the Deepgram key works');
      const english = await englishIn(page);
      check(english.length === 0, `no English on the Chinese page: ${english.join(' | ')}`);
    });

    await step(page, 'settings-03-zh-test-connection-ok-after-replacing-the-token', async () => {
      await page.getByTestId('telephony-auth-token-replace').click();
      await page.getByTestId('telephony-auth-token-input').fill(AUTH_TOKEN);
      await page.getByTestId('telephony-save').click();
      await page.getByTestId('telephony-auth-token-state').waitFor();
      await page.getByTestId('telephony-test').click();
      await page.locator('[data-testid="connection-check"][data-ok="true"]').waitFor();
      check((await page.getByTestId('check-twilio').textContent()).includes('演示商城 Twilio'), 'the account is named');
    });

    await step(page, 'settings-04-zh-number-bound-to-a-flow-by-name', async () => {
      await openSection(page, 'numbers');
      await page.getByTestId('number-bind').waitFor();
      await page.getByTestId('number-input').fill('12345');
      await page.getByTestId('number-flow').selectOption({ label: '订单查询' });
      await page.getByTestId('number-submit').click();
      const beside = page.getByTestId('field-error-number');
      await beside.waitFor();
      check(/国际格式/.test(await beside.textContent()), `the number error is beside the field: ${await beside.textContent()}`);
      await page.getByTestId('number-input').fill(NUMBER);
      await page.getByTestId('number-mode').selectOption('stream');
      await page.getByTestId('number-submit').click();
      const card = page.locator(`[data-testid="number-card"][data-number="${NUMBER}"]`);
      await card.waitFor();
      check((await card.locator('h2').textContent()).includes('订单查询'), 'the card names the flow by its title');
      const voiceUrl = await card.getByTestId('number-voice-url').inputValue();
      const statusUrl = await card.getByTestId('number-status-url').inputValue();
      check(voiceUrl === `${server.url}/twilio/voice`, `the voice URL: ${voiceUrl}`);
      check(statusUrl === `${server.url}/twilio/status`, `the status URL: ${statusUrl}`);
      check((await card.getByTestId('number-card-mode').inputValue()) === 'stream', 'the mode is kept');
      const english = await englishIn(page);
      check(english.length === 0, `no English on the Chinese page: ${english.join(' | ')}`);
    });

    await step(page, 'settings-05-zh-listen-to-the-voice', async () => {
      await openSection(page, 'voice');
      await page.getByTestId('voice-form').waitFor();
      await page.getByTestId('voice-provider').selectOption('espeak');
      await page.getByTestId('voice-listen').click();
      const audio = page.getByTestId('voice-audio');
      await audio.waitFor();
      await page.waitForFunction(
        () => {
          const element = document.querySelector('[data-testid="voice-audio"]');
          return element && element.readyState >= 1 && element.duration > 0.5;
        },
        null,
        { timeout: TIMEOUT },
      );
      const duration = await audio.evaluate((element) => element.duration);
      check(duration > 0.5, `the sample has sound: ${duration} s`);
      await page.getByTestId('voice-save').click();
      await page.getByTestId('settings-saved').waitFor();
      const english = await englishIn(page);
      check(english.length === 0, `no English on the Chinese page: ${english.join(' | ')}`);
    });

    await step(page, 'settings-06-zh-profile-renamed-in-the-header', async () => {
      await openSection(page, 'profile');
      await page.getByTestId('profile-form').waitFor();
      check((await page.getByTestId('profile-name-zh').inputValue()) === '演示商城', 'the demo shop has its Chinese name');
      check((await page.locator('.app-header .tenant').textContent()) === '演示商城', 'the header shows the Chinese name');
      await page.getByTestId('profile-name-zh').fill('');
      await page.getByTestId('profile-save').click();
      await page.getByTestId('field-error-/display_name/zh-CN').waitFor();
      await page.getByTestId('profile-name-zh').fill('演示商城旗舰店');
      await page.getByTestId('profile-name-en').fill('Demo Flagship Store');
      await page.getByTestId('profile-time-zone').selectOption('Asia/Shanghai');
      await page.getByTestId('profile-region').selectOption('CN');
      await page.getByTestId('profile-save').click();
      await page.getByTestId('settings-saved').waitFor();
      await page.locator('.app-header .tenant', { hasText: '演示商城旗舰店' }).waitFor();
      const english = await englishIn(page);
      check(english.length === 0, `no English on the Chinese page: ${english.join(' | ')}`);
    });
    // The usage against the quotas, at both sizes: the chats the demo shop has open (none)
    // beside the default limit.
    for (const [width, height] of [[1366, 768], [1920, 1080]]) {
      await step(page, `settings-11-zh-usage-${width}x${height}`, async () => {
        await page.setViewportSize({ width, height });
        await openSection(page, 'usage');
        await page.getByTestId('usage-table').waitFor();
        const chats = await page.getByTestId('usage-concurrent_chats').innerText();
        check(chats.includes('同时进行的在线对话') && chats.includes('（默认）'), `the chats quota in Chinese: ${chats}`);
        check((await page.locator('[data-testid^="usage-"] td:first-child').count()) === 5, 'every quota is listed');
        const english = await englishIn(page);
        check(english.length === 0, `no English on the Chinese page: ${english.join(' | ')}`);
      });
    }
    await page.setViewportSize({ width: 1366, height: 768 });
    // The wrong SID, number and empty name above are answered 422 on purpose.
    const unexpected = errors.filter((error) => !/status of 422/.test(String(error)));
    check(unexpected.length === 0, `the Chinese page logged errors: ${unexpected.map(String).join('; ')}`);
    await zh.close();

    const en = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
    const english = await watchedPage(en);
    const enPage = english.page;
    await enPage.addInitScript(() => localStorage.setItem('callflow.lang', 'en'));
    await signIn(enPage, server);

    await step(enPage, 'settings-07-en-telephony', async () => {
      await openSection(enPage, 'telephony');
      await enPage.getByTestId('telephony-auth-token-state').waitFor();
      check((await enPage.getByTestId('telephony-auth-token-state').textContent()).includes('Set'), 'the token shows as set');
      await enPage.getByTestId('telephony-test').click();
      await enPage.locator('[data-testid="connection-check"][data-ok="true"]').waitFor();
      check(/Connected to the Twilio account/.test(await enPage.getByTestId('check-twilio').textContent()), 'the result in English');
    });

    await step(enPage, 'settings-08-en-numbers', async () => {
      await openSection(enPage, 'numbers');
      const card = enPage.locator(`[data-testid="number-card"][data-number="${NUMBER}"]`);
      await card.waitFor();
      check((await enPage.getByTestId('numbers-section').textContent()).includes('A call comes in'), 'the Twilio console labels');
    });

    await step(enPage, 'settings-09-en-voice', async () => {
      await openSection(enPage, 'voice');
      await enPage.getByTestId('voice-listen-language').selectOption('en-US');
      await enPage.getByTestId('voice-listen-text').fill('Your parcel is on its way.');
      await enPage.getByTestId('voice-listen').click();
      await enPage.waitForFunction(() => {
        const element = document.querySelector('[data-testid="voice-audio"]');
        return element && element.readyState >= 1 && element.duration > 0.5;
      });
    });

    await step(enPage, 'settings-10-en-profile', async () => {
      await openSection(enPage, 'profile');
      check((await enPage.getByTestId('profile-name-en').inputValue()) === 'Demo Flagship Store', 'the English name');
      check((await enPage.locator('.app-header .tenant').textContent()) === 'Demo Flagship Store', 'the header in English');
    });
    for (const [width, height] of [[1920, 1080], [1366, 768]]) {
      await step(enPage, `settings-12-en-usage-${width}x${height}`, async () => {
        await enPage.setViewportSize({ width, height });
        await openSection(enPage, 'usage');
        await enPage.getByTestId('usage-table').waitFor();
        const requests = await enPage.getByTestId('usage-api_requests_per_minute').innerText();
        check(requests.includes('API requests per minute') && requests.includes('6,000'), `the API quota in English: ${requests}`);
      });
    }
    check(english.errors.length === 0, `the English page logged errors: ${english.errors.map(String).join('; ')}`);
    await en.close();
  } finally {
    await server.stop();
    await fake.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runWithOwnServer('settings', settingsSteps);
}

// End-to-end steps of the chat widget on a shop's own site: a manager adds the shop's site to
// the demo tenant's order-status channel on the editor's widget page; a page served from that
// other origin (a second local port) carries the channel's script tag; a
// visitor opens the bubble, chats in Chinese, answers the menu with a button, types an order
// number, gets angry and is handed to a queue, told to wait for an agent. The manager, as an
// agent in the console (a second browser context), takes the chat and reads its context card;
// the visitor writes (the bot stays silent), the agent's reply reaches the widget, and the
// agent hands the chat back to the bot, which goes on. A page of an origin the channel does
// not allow gets no bubble, and its request is refused.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/widget.mjs

import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { api, check, runWithOwnServer, startServer, TIMEOUT, watchedPage } from './harness.mjs';

/**
 * A shop's pages with the widget's script tag, on 127.0.0.1 and a port of its own: `/` in
 * Chinese, `/en` in English.
 */
async function shopPage(scriptTag) {
  const page = (lang, title, text) => `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">
<title>${title}</title><style>body{font-family:sans-serif;margin:40px}h1{color:#c00}</style></head>
<body><h1>${title}</h1><p>${text}</p>${scriptTag}</body></html>`;
  const zh = page('zh-CN', '演示商城 · 新品上市', '欢迎光临！有问题请点右下角的在线客服。');
  const en = page('en', 'Demo Shop · New arrivals', 'Welcome! Questions? Chat with us in the corner.');
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(request.url === '/en' ? en : zh);
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((done) => server.close(done)),
  };
}

/** Runs the steps in `browser` against a server of its own. */
export async function widgetSteps({ browser, step }) {
  const server = await startServer();
  const call = api(server);
  const [channel] = await call('GET', '/widget-channels');
  check(channel && channel.script_tag.includes(channel.key), 'the demo tenant has a widget channel');
  const shop = await shopPage(channel.script_tag);
  const stranger = await shopPage(channel.script_tag);
  const manager = await browser.newContext({ viewport: { width: 1300, height: 900 }, locale: 'zh-CN' });
  const { page: editor, errors: editorErrors } = await watchedPage(manager);
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'zh-CN' });
  const { page, errors } = await watchedPage(context);
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  const widget = (selector, options) => page.locator(`[data-callflow-widget] ${selector}`, options);
  const botLines = widget('.line.bot');
  try {
    await step(editor, 'widget-00-manager-allows-the-shop-site', async () => {
      await editor.goto(server.url);
      await editor.getByTestId('login-email').fill(server.email);
      await editor.getByTestId('login-password').fill(server.password);
      await editor.getByTestId('login-submit').click();
      await editor.getByTestId('nav-widget').click();
      const card = editor.locator(`[data-testid="widget-channel"][data-key="${channel.key}"]`);
      const tag = await card.getByTestId('widget-script-tag').inputValue();
      check(tag === channel.script_tag, `the snippet to copy: ${tag}`);
      const origins = card.getByTestId('widget-origins');
      await origins.fill(`${await origins.inputValue()}\n${shop.origin}`);
      await card.getByTestId('widget-save').click();
      await card.getByTestId('widget-saved').waitFor();
      const [saved] = await call('GET', '/widget-channels');
      check(saved.allowed_origins.includes(shop.origin), `the shop's site is allowed: ${saved.allowed_origins}`);
      check(editorErrors.length === 0, `the editor logged errors: ${editorErrors.map(String).join('; ')}`);
    });

    await step(page, 'widget-01-bubble-on-a-shop-page', async () => {
      await page.goto(shop.origin);
      await widget('button.bubble').waitFor();
      check((await widget('.panel').isHidden()), 'the chat opens only when asked');
    });

    await step(page, 'widget-02-greeting-with-menu-buttons', async () => {
      await widget('button.bubble').click();
      await widget('.title', { hasText: '在线客服' }).waitFor();
      await widget('.choices button', { hasText: '查订单' }).waitFor();
      const greeting = await botLines.first().innerText();
      check(greeting.includes('演示商城'), `the bot greets in Chinese: ${greeting}`);
      const buttons = await widget('.choices button').allInnerTexts();
      check(buttons.includes('转人工'), `the menu's buttons: ${buttons.join(', ')}`);
    });

    await step(page, 'widget-03-a-menu-button', async () => {
      const before = await botLines.count();
      await widget('.choices button', { hasText: '查订单' }).click();
      await widget('.line.visitor', { hasText: '查订单' }).waitFor();
      await page.waitForFunction(
        (count) => document.querySelector('[data-callflow-widget]').shadowRoot.querySelectorAll('.line.bot').length > count,
        before,
        { timeout: TIMEOUT },
      );
      const asked = await botLines.last().innerText();
      check(asked.includes('订单号'), `the bot asks for the order number: ${asked}`);
    });

    await step(page, 'widget-04-typing-an-order-number', async () => {
      await widget('input').fill('我的订单号是2024061801');
      await widget('form button').click();
      await widget('.line.bot', { hasText: '顺丰速运' }).waitFor();
    });

    await step(page, 'widget-05-an-angry-visitor-is-handed-to-a-queue', async () => {
      // No request for a person: the flow hears that the visitor is angry and hands over.
      await widget('input').fill('太失望了，你们太过分了，我要投诉！');
      await widget('form button').click();
      await widget('[data-waiting]').waitFor();
      check(!(await widget('input').isDisabled()), 'the visitor can write to the agent while waiting');
      const waiting = await widget('[data-waiting]').innerText();
      check(waiting.includes('人工客服'), `the visitor is told to wait: ${waiting}`);
      // While a person owns the conversation the widget reads its events for the agent's lines,
      // waiting on the server (long polling) for the next one.
      const deadline = Date.now() + TIMEOUT;
      const polling = () => requests.some((url) => url.includes('/events?after=') && url.includes('wait=20'));
      while (!polling() && Date.now() < deadline) await page.waitForTimeout(100);
      check(polling(), 'the widget waits on the server for the agent\'s lines');
    });

    await step(page, 'widget-06-back-on-the-page-later', async () => {
      // The visitor's token and conversation are in the page's storage: the chat goes on.
      await page.reload();
      await widget('button.bubble').click();
      await widget('.line.visitor', { hasText: '我要投诉' }).waitFor();
      await widget('.line.bot', { hasText: '顺丰速运' }).waitFor();
      await widget('[data-waiting]').waitFor();
    });

    await step(page, 'widget-07-an-english-page', async () => {
      await page.goto(`${shop.origin}/en`);
      await widget('button.bubble').click();
      await widget('.title', { hasText: 'Chat with us' }).waitFor();
      const waiting = await widget('[data-waiting]').innerText();
      check(waiting.includes('waiting for an agent'), `the words are English: ${waiting}`);
      check((await widget('form button').innerText()) === 'Send', 'the send button is English');
    });

    await step(editor, 'widget-08-an-agent-takes-the-chat-in-the-console', async () => {
      await editor.goto(`${server.url}/console`);
      await editor.getByTestId('presence').selectOption('available');
      await editor.getByTestId('presence-form').locator('button').click();
      const row = editor.locator('[data-testid="waiting-row"]').first();
      await row.waitFor();
      check((await row.innerText()).includes('订单'), `the chat waits in the orders queue: ${await row.innerText()}`);
      await row.getByTestId('accept').click();
      await editor.getByTestId('context-card').waitFor();
      const transcript = await editor.getByTestId('transcript').innerText();
      check(transcript.includes('我要投诉') && transcript.includes('2024061801'), `the agent reads the chat so far: ${transcript}`);
      const badge = editor.locator('[data-testid="emotion"][data-label="angry"]');
      check((await badge.count()) >= 1, 'the angry line carries its badge');
      await editor.getByTestId('card-anger').waitFor();
      check((await editor.locator('[data-kind="emotion_triggered"]').count()) === 1, 'the transcript shows why it was handed over');
    });

    await step(page, 'widget-09-the-visitor-writes-and-the-bot-stays-silent', async () => {
      await page.goto(shop.origin);
      await widget('button.bubble').click();
      await widget('[data-joined]').waitFor();
      const botBefore = await botLines.count();
      await widget('input').fill('你们发错货了，我买的是黑色的');
      await widget('form button').click();
      await editor.locator('[data-testid="line"][data-kind="caller_said"]', { hasText: '我买的是黑色的' }).waitFor();
      await page.waitForTimeout(300);
      check((await botLines.count()) === botBefore, 'the bot says nothing while the agent has the chat');
    });

    await step(page, 'widget-10-the-agents-reply-reaches-the-visitor', async () => {
      await editor.getByTestId('reply-text').fill('非常抱歉！我马上为您安排换货。');
      await editor.getByTestId('send').click();
      await widget('.line.agent', { hasText: '马上为您安排换货' }).waitFor();
    });

    await step(page, 'widget-11-handed-back-the-bot-goes-on', async () => {
      const botBefore = await botLines.count();
      await editor.getByTestId('hand-back-node').selectOption({ label: '还有其他问题吗' });
      await editor.getByTestId('hand-back').click();
      await editor.waitForURL(/\/console\?notice=handed_back/);
      await page.waitForFunction(
        (count) => document.querySelector('[data-callflow-widget]').shadowRoot.querySelectorAll('.line.bot').length > count,
        botBefore,
        { timeout: TIMEOUT },
      );
      const asked = await botLines.last().innerText();
      check(asked.includes('其他'), `the bot asks whether there is anything else: ${asked}`);
      await widget('input').fill('没有了，谢谢');
      await widget('form button').click();
      await widget('[data-ended]').waitFor();
    });

    await step(page, 'widget-12-no-third-party-requests', async () => {
      const server_origin = new URL(server.url).origin;
      const foreign = requests.filter((url) => ![shop.origin, server_origin].includes(new URL(url).origin));
      check(foreign.length === 0, `requests to other sites: ${foreign.join(', ')}`);
    });

    await step(page, 'widget-13-an-origin-not-allowed', async () => {
      // The browser blocks the answer to a page the channel does not allow: the request fails.
      const blocked = page.waitForEvent('requestfailed', (request) => request.url().includes('/widget/v1/channels/'));
      await page.goto(stranger.origin);
      await blocked;
      const answer = await fetch(`${server.url}/widget/v1/channels/${channel.key}`, { headers: { origin: stranger.origin } });
      const problem = await answer.json();
      check(
        answer.status === 403 && problem.code === 'origin_not_allowed' && !answer.headers.has('access-control-allow-origin'),
        `the channel refuses the page's origin: ${answer.status} ${problem.code}`,
      );
      await page.waitForTimeout(500);
      check((await widget('button.bubble').count()) === 0, 'no bubble on a page the channel does not allow');
    });
    // The refused page's blocked request is logged by Chromium; nothing else may be.
    const unexpected = errors.filter((error) => !/ERR_FAILED|CORS|Access-Control/i.test(String(error)));
    check(unexpected.length === 0, `the page logged errors: ${unexpected.map(String).join('; ')}`);
  } finally {
    await context.close();
    await manager.close();
    await shop.close();
    await stranger.close();
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runWithOwnServer('widget', widgetSteps);
}

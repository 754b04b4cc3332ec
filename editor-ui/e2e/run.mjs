// The editor's end-to-end suite: a real `callflow serve` (fresh SQLite data directory, first-run
// credentials) and Debian's Chromium through playwright-core. A customer-service manager's
// first session, step by step: log in; build a three-node flow from scratch by dragging from
// the palette and connecting ports; see validation errors appear and clear; publish; complete a
// conversation in Try it; restore an older version; switch the language; try a sentence on an
// ask node; then fill a knowledge base on the Knowledge page (knowledge.mjs) and read the
// call-analytics dashboard (dashboard.mjs), and look at a fresh install's two weeks of demo
// calls on a server started with the defaults (history.mjs), edit a handoff's routing rules
// (routing.mjs), read a broken draft's problems in Chinese and in English (language.mjs), chat
// through the widget on a page of another origin (widget.mjs), set up the
// shop's telephony, a phone number, the voice and the profile (settings.mjs), invite a
// colleague, change their role, read the audit log and make and revoke an API key (people.mjs),
// be stopped guessing a password, and read the API docs under their content policy
// (security.mjs), work on a big flow at 1366×768 and 1920×1080 (layout.mjs), and set the
// retention and erase a caller's data (privacy.mjs), fill a contact list from a CSV, change a
// contact and keep the do-not-call list (contacts.mjs), call a list with a survey campaign and
// start, pause, resume and stop it (campaigns.mjs), run a satisfaction survey that calls
// members through the fake Twilio and read its report (survey.mjs), and meet flows, nodes and intents by their
// names, never their ids (names.mjs), and read every page of the Chinese editor and dashboard
// without an English word (chinese.mjs).
// Screenshots of every step (and of any failure) go to e2e/artifacts/.
// Usage (from editor-ui/): node e2e/run.mjs

import { rmSync } from 'node:fs';
import { artifacts, check, launchBrowser, shot, startServer, stepper, TIMEOUT, watchedPage } from './harness.mjs';
import { dashboardSteps } from './dashboard.mjs';
import { funnelSteps } from './funnel.mjs';
import { historySteps } from './history.mjs';
import { knowledgeSteps } from './knowledge.mjs';
import { widgetSteps } from './widget.mjs';
import { consoleSteps } from './console.mjs';
import { routingSteps } from './routing.mjs';
import { peopleSteps } from './people.mjs';
import { securitySteps } from './security.mjs';
import { layoutSteps } from './layout.mjs';
import { privacySteps } from './privacy.mjs';
import { contactsSteps } from './contacts.mjs';
import { campaignsSteps } from './campaigns.mjs';
import { surveySteps } from './survey.mjs';
import { settingsSteps } from './settings.mjs';
import { languageSteps } from './language.mjs';
import { namesSteps } from './names.mjs';
import { chineseSteps } from './chinese.mjs';

const results = [];
const step = stepper(results);

/** The centre of an element, for mouse gestures. */
async function centre(locator) {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  check(box, 'the element has no box');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags from one port handle to another with the mouse, as a person connects two nodes. */
async function connect(page, from, to) {
  const start = await centre(page.getByTestId(from));
  const end = await centre(page.getByTestId(to));
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move((start.x + end.x) / 2, (start.y + end.y) / 2, { steps: 8 });
  await page.mouse.move(end.x, end.y, { steps: 8 });
  await page.mouse.up();
}

/** Replaces the text of a CodeMirror field (its test id is on the editable content). */
async function typeCode(page, testId, text) {
  const editor = page.getByTestId(testId);
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

async function errorProblems(page) {
  return page.locator('[data-testid="problem"][data-severity="error"]').count();
}

async function waitSaved(page) {
  await page.locator('[data-testid="save-status"][data-state="saved"]').waitFor({ timeout: TIMEOUT });
}

async function main() {
  rmSync(artifacts, { recursive: true, force: true });
  const server = await startServer();
  const browser = await launchBrowser();
  if (!browser) {
    await server.stop();
    return;
  }
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'zh-CN' });
  const { page, errors: pageErrors } = await watchedPage(context);
  const flowName = `三步流程-${Date.now()}`;
  try {
    await step(page, '01-login', async () => {
      await page.goto(server.url);
      await page.getByTestId('login-email').waitFor();
      check(
        (await page.getByTestId('lang-switch').getAttribute('data-lang')) === 'zh-CN',
        'the editor opens in Chinese',
      );
      await page.getByTestId('login-email').fill(server.email);
      await page.getByTestId('login-password').fill('not the password');
      await page.getByTestId('login-submit').click();
      await page.getByTestId('error-alert').waitFor();
      await page.getByTestId('login-password').fill(server.password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('flow-list').waitFor();
      const rows = await page.getByTestId('flow-row').count();
      check(rows >= 5, `the demo tenant's five example flows are listed, not ${rows}`);
    });

    await step(page, '02-build-three-nodes-by-dragging', async () => {
      await page.getByTestId('create-flow').click();
      await page.getByTestId('create-name').fill(flowName);
      await page.getByTestId('template-blank').click();
      await page.getByTestId('create-submit').click();
      await page.getByTestId('node-greeting').waitFor();
      // From scratch: the blank flow's greeting and end go first.
      await page.getByTestId('node-greeting').click();
      await page.getByTestId('node-end').click({ modifiers: ['Shift'] });
      await page.keyboard.press('Delete');
      await page.getByTestId('node-greeting').waitFor({ state: 'detached' });
      const canvas = page.getByTestId('canvas');
      const box = await canvas.boundingBox();
      const drops = [
        ['ask', 0.3],
        ['say', 0.55],
        ['end', 0.8],
      ];
      for (const [type, across] of drops) {
        await page.getByTestId(`palette-${type}`).dragTo(canvas, {
          targetPosition: { x: box.width * across, y: box.height * 0.4 },
        });
        await page.getByTestId(`node-${type}_1`).waitFor();
      }
      check((await page.locator('.react-flow__node').count()) === 4, 'three nodes and the start');
    });

    await step(page, '03-validation-errors-appear', async () => {
      // Validation runs as the draft changes; on a slow machine an earlier answer (about the
      // empty flow) may still be listed, so wait for the one about the unfinished ask node.
      const onAsk = page.locator('[data-testid="problem"][data-severity="error"][data-node="ask_1"]');
      await onAsk.first().waitFor({ timeout: TIMEOUT }).catch(() => {});
      check((await onAsk.count()) > 0, 'the unfinished ask node has errors listed');
      // Clicking a problem selects its node.
      await page.locator('[data-testid="problem"][data-node="ask_1"]').first().click();
      await page.locator('[data-testid="property-panel"][data-owner="ask_1"]').waitFor();
    });

    await step(page, '04-connect-and-fill-in-until-no-errors', async () => {
      await connect(page, 'handle-$flow-start', 'handle-ask_1-in');
      await page.getByTestId('node-ask_1').click();
      await typeCode(page, 'ask-prompt', '请问您想查询什么？');
      // "Save the answer as" sits in the collapsed "collect information" section.
      await page.locator('details:has(input[data-field="/save_as"]) > summary').click();
      await page.locator('input[data-field="/save_as"]').fill('answer');
      await page.getByTestId('handle-ask_1-next').waitFor();
      await connect(page, 'handle-ask_1-next', 'handle-say_1-in');
      await connect(page, 'handle-ask_1-no_match', 'handle-end_1-in');
      await connect(page, 'handle-ask_1-no_input', 'handle-end_1-in');
      await page.getByTestId('node-say_1').click();
      await typeCode(page, 'say-text', '您说的是{{vars.answer}}，再见。');
      await connect(page, 'handle-say_1-next', 'handle-end_1-in');
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid="problem"][data-severity="error"]').length === 0,
        null,
        { timeout: TIMEOUT },
      );
      check((await errorProblems(page)) === 0, 'every error is fixed');
      check((await page.locator('.react-flow__edge').count()) >= 5, 'the five connections are drawn');
      await waitSaved(page);
    });

    await step(page, '05-publish', async () => {
      await page.getByTestId('publish-button').click();
      const first = page.getByTestId('publish-changes');
      check((await first.getAttribute('data-state')) === 'first', 'the first publish says every node goes live');
      await page.getByTestId('publish-note').fill('第一版');
      await page.getByTestId('publish-confirm').click();
      await page.getByTestId('published-version').waitFor();
      const badge = await page.getByTestId('published-version').textContent();
      check(/1/.test(badge ?? ''), `version 1 is live: ${badge}`);
      check((await page.getByTestId('unpublished-changes').count()) === 0, 'nothing is unpublished right after publishing');
    });

    await step(page, '06-try-it-conversation', async () => {
      await page.getByTestId('tab-tryit').click();
      await page.getByTestId('tryit-start').click();
      await page.locator('[data-testid="tryit-message"]', { hasText: '请问您想查询什么？' }).waitFor();
      await page.getByTestId('tryit-input').fill('查订单');
      await page.getByTestId('tryit-send').click();
      await page.locator('[data-testid="tryit-message"]', { hasText: '您说的是查订单，再见。' }).waitFor();
      await page.locator('[data-testid="tryit-status"][data-ended]').waitFor();
      const vars = await page.getByTestId('tryit-vars').textContent();
      check(vars?.includes('查订单'), `the variables show the answer: ${vars}`);
    });

    await step(page, '07-unpublished-changes-and-what-publishing-changes', async () => {
      await page.getByTestId('tab-properties').click();
      await page.getByTestId('node-say_1').click();
      await typeCode(page, 'say-text', '改过的结束语，预计{{vars.eta}}送达。');
      await waitSaved(page);
      // `eta` is set by no node and not declared: a warning names the node (publishing is allowed).
      const unset = page.locator('[data-testid="problem"][data-code="unset_variable"][data-node="say_1"]');
      await unset.waitFor();
      const title = await unset.locator('.problem-title').textContent();
      check(title.startsWith('变量没有值'), `the warning's title: ${title}`);
      check((await unset.getAttribute('data-severity')) === 'warning', 'a warning, not an error');
      const marker = page.getByTestId('unpublished-changes');
      await marker.waitFor();
      check((await marker.textContent()) === '有未发布的修改', `the marker: ${await marker.textContent()}`);
      await page.getByTestId('publish-button').click();
      const changed = page.getByTestId('publish-changed');
      await changed.waitFor();
      const text = await changed.textContent();
      // By the name the palette gave it, never by its id.
      check(text.startsWith('修改 1 个节点') && text.includes('播报 1') && !text.includes('say_1'), `the changed node is named: ${text}`);
      check((await page.getByTestId('publish-added').count()) === 0, 'nothing added');
    });

    await step(page, '07b-publish-and-restore-an-older-version', async () => {
      await page.getByTestId('publish-note').fill('第二版');
      await page.getByTestId('publish-confirm').click();
      await page.waitForFunction(() =>
        /2/.test(document.querySelector('[data-testid="published-version"]')?.textContent ?? ''),
      );
      await page.getByTestId('unpublished-changes').waitFor({ state: 'detached' });
      await page.getByTestId('tab-versions').click();
      await page.getByTestId('version-1').waitFor();
      await page.getByTestId('version-2').waitFor();
      const by = await page.getByTestId('version-by-2').textContent();
      check(by.startsWith('发布者：') && !/user:|usr_/.test(by), `the publisher by name: ${by}`);
      await page.getByTestId('version-restore-1').click();
      await page.getByTestId('confirm-ok').click();
      await waitSaved(page);
      await page.getByTestId('tab-properties').click();
      await page.getByTestId('node-say_1').click();
      await page.locator('[data-testid="say-text"]', { hasText: '您说的是' }).waitFor();
      // Version 1 in the draft is not what is live (version 2).
      await page.getByTestId('unpublished-changes').waitFor();
    });

    await step(page, '08-switch-language-and-remember-it', async () => {
      await page.getByTestId('lang-switch').click();
      await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
      const tab = await page.getByTestId('tab-tryit').textContent();
      check(/Try it/i.test(tab ?? ''), `the tabs are in English: ${tab}`);
      await page.reload();
      await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
      await page.getByTestId('lang-switch').click();
      await page.locator('[data-testid="lang-switch"][data-lang="zh-CN"]').waitFor();
    });

    await step(page, '09-a-second-tab-of-the-same-login-can-write', async () => {
      const second = await context.newPage();
      second.setDefaultTimeout(TIMEOUT);
      try {
        await second.goto(server.url);
        await second.getByTestId('flow-list').waitFor();
        const before = await second.getByTestId('flow-row').count();
        await second.getByTestId('flow-search').fill(flowName);
        await second.locator(`[data-testid="flow-row"][data-title="${flowName}"]`).waitFor();
        await second
          .locator(`[data-testid="flow-row"][data-title="${flowName}"]`)
          .getByTestId('flow-duplicate')
          .click();
        await second.getByTestId('flow-search').fill('');
        await second.waitForFunction(
          (count) => document.querySelectorAll('[data-testid="flow-row"]').length === count + 1,
          before,
        );
        // The copy is named in the page's language.
        await second.locator(`[data-testid="flow-row"][data-title="${flowName}（副本）"]`).waitFor();
        await shot(second, '09-second-tab');
      } finally {
        await second.close();
      }
    });

    await step(page, '10-order-status-from-a-template-by-phone-keys', async () => {
      await page.goto(`${server.url}/#/`);
      await page.getByTestId('create-flow').click();
      await page.getByTestId('create-name').fill(`查订单-${Date.now()}`);
      await page.getByTestId('template-order-status').click();
      await page.getByTestId('create-submit').click();
      await page.getByTestId('node-fetch_order').waitFor();
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid="problem"][data-severity="error"]').length === 0,
      );
      await page.getByTestId('tab-tryit').click();
      await page.getByTestId('tryit-start').click();
      await page.locator('[data-testid="tryit-message"][data-node="ask_need"]').waitFor();
      await page.getByTestId('tryit-input').fill('查物流');
      await page.getByTestId('tryit-send').click();
      await page.locator('[data-testid="tryit-message"][data-node="ask_order_id"]').waitFor();
      // The order number on the keypad, ended with #, as a caller would.
      for (const key of '2024061801#') await page.getByTestId(`key-${key}`).click();
      const shipped = page.locator('[data-testid="tryit-message"][data-node="say_shipped"]');
      await shipped.waitFor();
      const text = await shipped.textContent();
      check(text?.includes('顺丰速运'), `the demo shop's carrier is said: ${text}`);
    });

    await step(page, '11-http-node-test-button', async () => {
      await page.getByTestId('tab-properties').click();
      // Try it followed the conversation across the canvas; show the whole flow again.
      await page.getByTestId('toolbar-fit').click();
      await page.waitForTimeout(400);
      await page.getByTestId('node-fetch_order').click();
      await page.locator('[data-testid="property-panel"][data-owner="fetch_order"]').waitFor();
      await page.locator('[data-testid="http-test"] > summary').click();
      await page.getByLabel('{{vars.order_id}}').fill('2024061801');
      await page.getByTestId('http-test-run').click();
      const result = page.getByTestId('http-test-result');
      await result.waitFor();
      const text = await result.textContent();
      check(text?.includes('200') && text.includes('SF1234567890'), `the lookup answered: ${text}`);
    });

    await step(page, '12-try-a-sentence-on-an-ask-node', async () => {
      await page.getByTestId('node-ask_need').click();
      await page.locator('[data-testid="property-panel"][data-owner="ask_need"]').waitFor();
      await page.locator('[data-testid="try-intent"] > summary').click();
      // A paraphrase none of the node's examples says word for word.
      await page.getByTestId('try-intent-text').fill('帮我看看我买的东西到哪儿了');
      await page.getByTestId('try-intent-run').click();
      const chosen = page.getByTestId('try-intent-chosen');
      await chosen.waitFor();
      check((await chosen.textContent()) === '查订单', `the intent shown by its name: ${await chosen.textContent()}`);
      const runnerUp = await page.getByTestId('try-intent-runner-up').textContent();
      check(runnerUp?.includes('退货退款') && !runnerUp.includes('after_sales'), `the runner-up shown: ${runnerUp}`);
      await page.getByTestId('try-intent').scrollIntoViewIfNeeded();
    });

    await knowledgeSteps({ page, server, step });
    await dashboardSteps({ browser, page, server, step });
    await consoleSteps({ page, server, step });
    await routingSteps({ page, server, step });
    await languageSteps({ page, server, step });
    await namesSteps({ page, server, step });

    await funnelSteps({ page, server, step });
    await historySteps({ browser, step });
    await widgetSteps({ browser, step });
    await settingsSteps({ browser, step });
    await peopleSteps({ browser, server, step });
    await securitySteps({ browser, server, step });
    await layoutSteps({ browser, server, step });
    await privacySteps({ browser, server, step });
    await contactsSteps({ browser, server, step });
    await campaignsSteps({ browser, server, step });
    await surveySteps({ browser, step });
    await chineseSteps({ browser, step });

    check(pageErrors.length === 0, `the page logged errors: ${pageErrors.map(String).join('; ')}`);
  } finally {
    await browser.close();
    await server.stop();
    const failed = results.filter((r) => !r.ok).length;
    console.log(`\n${results.length - failed} passed, ${failed} failed; screenshots in e2e/artifacts/`);
  }
}

main().catch((error) => {
  console.error(`end-to-end suite failed: ${error.message ?? error}`);
  process.exit(1);
});

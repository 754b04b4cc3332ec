// End-to-end steps of a shop's people, as a new customer-service manager meets them in
// Chinese at 1366×768: the owner invites a colleague as an editor and copies the one-time
// link; the colleague opens it in a browser of their own, sets a password and lands signed in;
// the owner sees them in the list, makes them a viewer and opens the audit log filtered to
// them; the API keys page makes a key (shown once) and revokes it after a confirmation. Then
// the people page in English at 1920×1080.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/people.mjs

import { fileURLToPath } from 'node:url';
import { check, runAlone, TIMEOUT } from './harness.mjs';

const PASSWORD = '新同事的密码 2026 good';

/** A browser context signed in as the demo owner, in `lang`, at `viewport`. */
async function ownerContext(browser, server, lang, viewport) {
  const context = await browser.newContext({ viewport, locale: lang });
  await context.addCookies([{ name: 'callflow_lang', value: lang, url: server.url }]);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(server.url);
  await page.getByTestId('login-email').fill(server.email);
  await page.getByTestId('login-password').fill(server.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('flow-list').waitFor();
  return { context, page };
}

/** The text without the names of the people listed (names are theirs, in any language). */
async function withoutNames(page, text) {
  const names = await page.locator('[data-testid="person-row"] td:first-child').allInnerTexts();
  return names.reduce((rest, name) => rest.replaceAll(name.replace(/\s*[(（].*[)）]$/, ''), ''), text);
}

/** Latin words of four letters or more, outside e-mail addresses: English in a Chinese page. */
function englishIn(text) {
  return text.replace(/[\w.+-]+@[\w.-]+/g, '').match(/[A-Za-z]{4,}/g) ?? [];
}

export async function peopleSteps({ browser, server, step }) {
  const email = `li.${Date.now()}@shop.example`;
  const { context, page } = await ownerContext(browser, server, 'zh-CN', { width: 1366, height: 768 });
  let colleagueContext = null;
  try {
    let link = '';
    await step(page, 'people-01-the-people-page-in-chinese', async () => {
      await page.getByTestId('nav-people').click();
      await page.getByTestId('people-table').waitFor();
      const text = await page.getByTestId('people-page').innerText();
      check(text.includes('成员') && text.includes('所有者'), `the page names people and roles: ${text}`);
      const english = englishIn(await withoutNames(page, text));
      check(english.length === 0, `no English on the Chinese page: ${english.join(', ')}`);
    });

    await step(page, 'people-02-invite-a-colleague-as-editor', async () => {
      await page.getByTestId('people-invite').click();
      await page.getByTestId('invite-email').fill(email);
      await page.getByTestId('invite-name').fill('李小红');
      await page.getByTestId('invite-role').selectOption('editor');
      await page.getByTestId('invite-submit').click();
      const dialog = page.getByTestId('invite-link-dialog');
      await dialog.waitFor();
      const text = await dialog.innerText();
      check(text.includes('只显示这一次'), `the dialog says the link is shown once: ${text}`);
      link = await page.getByTestId('secret-value').inputValue();
      check(link.startsWith(`${server.url}/#/invite/`), `a link to this server: ${link}`);
    });

    await step(page, 'people-03-copy-the-link', async () => {
      await page.getByTestId('secret-copy').click();
      await page.getByTestId('secret-copy').filter({ hasText: '已复制' }).waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      check(copied === link, `the clipboard holds the link: ${copied}`);
    });

    colleagueContext = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
    const colleague = await colleagueContext.newPage();
    colleague.setDefaultTimeout(TIMEOUT);
    await step(colleague, 'people-04-the-colleague-opens-the-link', async () => {
      await colleague.goto(link);
      await colleague.getByTestId('invite-page').waitFor();
      await colleague.getByTestId('invite-email').filter({ hasText: email }).waitFor();
      const text = await colleague.getByTestId('invite-page').innerText();
      check(text.includes('编辑') && text.includes('设置密码'), `the page says what the link is for: ${text}`);
      check(englishIn(text.replace(/Callflow/g, '')).length === 0, `no English: ${text}`);
      await colleague.getByTestId('invite-password').fill(PASSWORD);
      await colleague.getByTestId('invite-password-again').fill(PASSWORD);
    });

    await step(colleague, 'people-05-the-colleague-lands-signed-in', async () => {
      await colleague.getByTestId('invite-submit').click();
      await colleague.getByTestId('flow-list').waitFor();
      const me = await colleague.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
      check(me.role === 'editor', `signed in as an editor: ${JSON.stringify(me)}`);
    });

    const row = page.locator(`[data-testid="person-row"][data-email="${email}"]`);
    await step(page, 'people-06-the-owner-sees-the-colleague', async () => {
      await page.getByTestId('secret-close').click();
      await page.reload();
      await row.waitFor();
      const text = await row.innerText();
      check(text.includes('李小红') && text.includes('正常'), `the colleague is listed: ${text}`);
      check(!text.includes('从未登录'), `their sign-in is shown: ${text}`);
      check((await row.getByTestId('person-role').inputValue()) === 'editor', 'listed as an editor');
    });

    await step(page, 'people-07-make-the-colleague-a-viewer', async () => {
      await row.getByTestId('person-role').selectOption('viewer');
      await page.getByTestId('people-notice').filter({ hasText: '李小红 现在是只读' }).waitFor();
    });

    await step(page, 'people-08-the-audit-log-of-the-colleague', async () => {
      await row.getByTestId('person-history').click();
      await page.getByTestId('audit-object').filter({ hasText: '李小红' }).waitFor();
      await page.locator('[data-testid="audit-row"][data-action="user.set_role"]').waitFor();
      const actions = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.dataset.action));
      check(
        actions.join() === 'user.set_role,invite.accept',
        `the colleague's entries, newest first: ${actions.join()}`,
      );
      const text = await page.getByTestId('audit-table').innerText();
      check(text.includes('更改了角色') && text.includes('接受邀请加入') && text.includes('只读'), `the entries in words: ${text}`);
      check(englishIn(text.replace(/Demo Owner/g, '')).length === 0, `no English in the entries: ${text}`);
    });

    await step(page, 'people-09-filter-the-audit-log-by-person-and-kind', async () => {
      await page.getByTestId('audit-object').getByRole('link').click();
      // The page takes the new address's filters into its form when the hash changes; choosing
      // before that would be undone by it.
      await page.getByTestId('audit-object').waitFor({ state: 'detached' });
      await page.getByTestId('audit-actor').selectOption({ label: '李小红' });
      await page.getByTestId('audit-action').selectOption('invite.');
      await page.getByTestId('audit-apply').click();
      // Wait for the filtered page itself: the person's unfiltered entries are shown until it comes.
      await page.waitForFunction(() => /actor=user/.test(window.location.hash) && /action=invite/.test(window.location.hash));
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
        return rows.length > 0 && rows.every((row) => row.dataset.action.startsWith('invite.'));
      });
      await page.locator('[data-testid="audit-row"][data-action="invite.accept"]').waitFor();
      const count = await page.getByTestId('audit-row').count();
      check(count === 1, `one entry by the colleague about invites: ${count}`);
    });

    await step(page, 'people-10-create-an-api-key-shown-once', async () => {
      await page.getByTestId('nav-api-keys').click();
      await page.getByTestId('key-name').fill('订单同步');
      await page.getByTestId('key-role').selectOption('viewer');
      await page.getByTestId('key-submit').click();
      const dialog = page.getByTestId('key-secret-dialog');
      await dialog.waitFor();
      const token = await dialog.getByTestId('secret-value').inputValue();
      check(/^cf_[0-9a-f]{12}_[0-9a-f]{64}$/.test(token), `the key is shown: ${token.slice(0, 16)}…`);
      check((await dialog.innerText()).includes('只显示这一次'), 'the dialog says it is shown once');
    });

    await step(page, 'people-11-revoke-the-key-after-confirming', async () => {
      await page.getByTestId('secret-close').click();
      const keyRow = page.locator('[data-testid="key-row"][data-name="订单同步"]');
      const listed = await keyRow.innerText();
      check(!/[0-9a-f]{64}/.test(listed), `the list holds no secret: ${listed}`);
      await keyRow.getByTestId('key-revoke').click();
      await page.getByTestId('key-revoke-confirm').filter({ hasText: '订单同步' }).waitFor();
      await page.getByTestId('confirm-ok').click();
      await keyRow.getByTestId('key-status').filter({ hasText: '已吊销' }).waitFor();
    });
  } finally {
    await colleagueContext?.close();
    await context.close();
  }

  const english = await ownerContext(browser, server, 'en', { width: 1920, height: 1080 });
  try {
    await step(english.page, 'people-12-the-people-page-in-english', async () => {
      await english.page.getByTestId('nav-people').click();
      await english.page.locator(`[data-testid="person-row"][data-email="${email}"]`).waitFor();
      const text = await english.page.getByTestId('people-page').innerText();
      check(text.includes('People') && text.includes('Invite someone') && text.includes('Last sign-in'), `English page: ${text}`);
      // People's names are theirs; every other word is English.
      const chinese = (await withoutNames(english.page, text)).match(/[\u4e00-\u9fff]+/g) ?? [];
      check(chinese.length === 0, `only people's names in Chinese: ${chinese.join(', ')}`);
    });
  } finally {
    await english.context.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('people', peopleSteps);
}

// End-to-end steps of contact lists and the do-not-call list, as a shop's manager meets them, in
// Chinese and in English at 1366×768 and at 1920×1080: create a list, import a CSV with a good
// row, a duplicate and a bad phone (the bad row named with its column and why), be told in
// words why a sheet without a phone column cannot be imported, search, change a contact's
// custom field, add a number to do-not-call, import a do-not-call CSV, and remove a number;
// then a viewer reads the same pages with nothing to change them by.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/contacts.mjs

import { fileURLToPath } from 'node:url';
import { api, check, runAlone, shot, signedInPage, TIMEOUT, watchedPage } from './harness.mjs';

const RUNS = [
  { lang: 'zh-CN', viewport: { width: 1366, height: 768 }, n: 1 },
  { lang: 'en', viewport: { width: 1920, height: 1080 }, n: 2 },
  { lang: 'zh-CN', viewport: { width: 1920, height: 1080 }, n: 3 },
  { lang: 'en', viewport: { width: 1366, height: 768 }, n: 4 },
];

/** The words each language's page says, and the names a manager in it would give things. */
const WORDS = {
  'zh-CN': {
    nav: '联系人',
    navDnc: '免打扰',
    list: (n) => `会员 ${n}`,
    phoneHeader: '手机',
    csv: (n) =>
      `手机,姓名,birthday,last_order,同意来源,同意时间\n` +
      `138 0013 800${n},张伟,1990-03-08,SO-1,门店登记,2026-01-02\n` +
      `+86 138-0013-800${n},,,SO-2,,\n` +
      `12345,坏号码,,,,\n` +
      `139 0013 900${n},李娜,1988-02-29,,小程序,\n`,
    summary: '读取 4 行：新增 2 位，更新 0 位，文件内合并 1 行，失败 1 行。',
    noPhoneColumn: '无法导入这个文件',
    searchName: '李娜',
    note: (n) => `客户来电要求 ${n}`,
    source: { manual: '手动添加', import: '表格导入' },
    dncCsv: (n) => `电话,备注\n136 0013 600${n},投诉 ${n}\n137 0013 700${n},\n123,\n`,
    dncSummary: '读取 3 个号码：新加入 1 个，已在名单上 1 个，失败 1 个。',
    dncPhoneHeader: '电话',
  },
  en: {
    nav: 'Contacts',
    navDnc: 'Do not call',
    list: (n) => `Members ${n}`,
    phoneHeader: 'phone',
    csv: (n) =>
      `phone,name,birthday,last_order,consent_source,consent_at\n` +
      `138 0013 800${n},Wei Zhang,1990-03-08,SO-1,in store,2026-01-02\n` +
      `+86 138-0013-800${n},,,SO-2,,\n` +
      `12345,Bad Number,,,,\n` +
      `139 0013 900${n},Na Li,1988-02-29,,app,\n`,
    summary: 'Rows read: 4. Added 2, updated 0, merged within the file 1, failed 1.',
    noPhoneColumn: 'This file cannot be imported',
    searchName: 'Na Li',
    note: (n) => `asked on the phone ${n}`,
    source: { manual: 'Added by hand', import: 'Imported from a sheet' },
    dncCsv: (n) => `phone,note\n136 0013 600${n},complaint ${n}\n137 0013 700${n},\n123,\n`,
    dncSummary: 'Numbers read: 3. Newly listed 1, already listed 1, failed 1.',
    dncPhoneHeader: 'phone',
  },
};

const csvFile = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });

/** The text of every cell under `testId` in `rows`, one array a row. */
async function rowTexts(rows, testId) {
  return Promise.all((await rows.all()).map((row) => row.getByTestId(testId).textContent()));
}

async function run(browser, server, step, { lang, viewport, n }) {
  const call = api(server);
  const words = WORDS[lang];
  const tag = `contacts-${lang === 'en' ? 'en' : 'zh'}-${viewport.width}`;
  const { context, page, errors } = await signedInPage(browser, server, { lang, viewport });
  try {
    let listId;
    await step(page, `${tag}-01-create-a-list`, async () => {
      await page.getByTestId('nav-contacts').click();
      check((await page.getByTestId('nav-contacts').textContent()) === words.nav, `the nav entry says ${words.nav}`);
      await page.getByTestId('contacts-page').waitFor();
      await page.getByTestId('contacts-create').click();
      await page.getByTestId('contact-list-name').fill(words.list(n));
      await page.getByTestId('contact-list-name-submit').click();
      await page.getByTestId('contact-list-title').filter({ hasText: words.list(n) }).waitFor();
      await page.getByTestId('contacts-none').waitFor();
      listId = decodeURIComponent(page.url().split('#/contacts/')[1]);
      const lists = await call('GET', '/contact-lists');
      check(lists.some((list) => list.id === listId && list.name === words.list(n)), `the list is stored: ${JSON.stringify(lists)}`);
    });

    await step(page, `${tag}-02-a-sheet-without-a-phone-column-is-explained`, async () => {
      await page.getByTestId('contacts-import-input').setInputFiles(csvFile('no-phone.csv', 'name,city\nWei,Shanghai\n'));
      await page.getByTestId('contacts-import-submit').click();
      const refused = page.getByTestId('contacts-import-refused');
      await refused.waitFor();
      const text = await refused.textContent();
      check(text.startsWith(words.noPhoneColumn), `the refusal is worded in the page's language: ${text}`);
      check((await refused.getAttribute('data-code')) === 'missing_column', 'the refusal is the missing phone column');
      await refused.scrollIntoViewIfNeeded();
      // The reason names the headers it takes, Chinese ones too: its first words tell its language.
      const reason = text.slice(words.noPhoneColumn.length);
      check(lang === 'zh-CN' ? /^[\u4e00-\u9fff]/.test(reason) : /^[A-Za-z]+ /.test(reason), `the server's reason is in the page's language: ${text}`);
    });

    await step(page, `${tag}-03-import-good-duplicate-and-bad-rows`, async () => {
      await page.getByTestId('contacts-import-input').setInputFiles(csvFile('members.csv', words.csv(n)));
      check((await page.getByTestId('contacts-import-file-name').textContent()) === 'members.csv', 'the chosen file is named');
      await page.getByTestId('contacts-import-submit').click();
      const summary = page.getByTestId('contacts-import-summary');
      await summary.waitFor();
      check((await summary.textContent()) === words.summary, `the counts: ${await summary.textContent()}`);
      const failed = page.getByTestId('contacts-import-error');
      check((await failed.count()) === 1, 'one row failed');
      check((await failed.getAttribute('data-row')) === '4', 'the bad row is row 4');
      const text = await failed.textContent();
      check(text.includes(words.phoneHeader) && text.includes('12345'), `the bad row names its column and value: ${text}`);
      await failed.scrollIntoViewIfNeeded();
      await page.locator('[data-testid="contacts-table"][data-total="2"]').waitFor();
      const phones = await rowTexts(page.getByTestId('contact-row'), 'contact-phone');
      check(phones.join('|') === `+86 138 0013 800${n}|+86 139 0013 900${n}`, `numbers shown formatted: ${phones}`);
      const columns = await page.getByTestId('contacts-field-column').allTextContents();
      check(columns.includes('birthday') && columns.includes('last_order'), `custom fields are columns: ${columns}`);
      const { contacts } = await call('GET', `/contact-lists/${listId}/contacts`);
      const merged = contacts.find((contact) => contact.phone === `+861380013800${n}`);
      check(merged?.fields.last_order === 'SO-2', `the duplicate's later value wins: ${JSON.stringify(contacts)}`);
    });

    await step(page, `${tag}-04-search`, async () => {
      await page.getByTestId('contacts-search').fill(words.searchName);
      await page.locator('[data-testid="contacts-table"][data-total="1"]').waitFor();
      const names = await rowTexts(page.getByTestId('contact-row'), 'contact-name');
      check(names.join() === words.searchName, `the search finds one: ${names}`);
      check((await page.getByTestId('pager-range').textContent()).includes('1'), 'the pager says what is shown');
    });

    await step(page, `${tag}-05-edit-a-custom-field`, async () => {
      const row = page.getByTestId('contact-row').first();
      await row.getByTestId('contact-edit').click();
      const dialog = page.getByTestId('contact-dialog');
      await dialog.waitFor();
      const field = dialog.locator('[data-testid="contact-field-row"][data-field="birthday"]').getByTestId('contact-field-value');
      check((await field.inputValue()) === '1988-02-29', 'the field shows its value');
      await field.fill('1988-03-01');
      await shot(page, `${tag}-05a-editing`);
      await dialog.getByTestId('contact-save').click();
      await dialog.waitFor({ state: 'detached' });
      await page.locator('[data-testid="contact-field"][data-field="birthday"]').filter({ hasText: '1988-03-01' }).waitFor();
      const { contacts } = await call('GET', `/contact-lists/${listId}/contacts?search=${encodeURIComponent(words.searchName)}`);
      check(contacts[0].fields.birthday === '1988-03-01', `the change is stored: ${JSON.stringify(contacts[0])}`);
    });

    await step(page, `${tag}-06-add-a-number-to-do-not-call`, async () => {
      await page.getByTestId('nav-do-not-call').click();
      check((await page.getByTestId('nav-do-not-call').textContent()) === words.navDnc, `the nav entry says ${words.navDnc}`);
      await page.getByTestId('dnc-page').waitFor();
      await page.getByTestId('dnc-add-phone').fill('12');
      await page.getByTestId('dnc-add-submit').click();
      const problem = page.getByTestId('dnc-add').getByTestId('field-problem');
      await problem.waitFor();
      const said = await problem.textContent();
      check(lang === 'zh-CN' ? /[\u4e00-\u9fff]/.test(said) : !/[\u4e00-\u9fff]/.test(said), `the number's problem is in the page's language: ${said}`);
      await page.getByTestId('dnc-add-phone').fill(`135 0013 500${n}`);
      await page.getByTestId('dnc-add-note').fill(words.note(n));
      await page.getByTestId('dnc-add-submit').click();
      await page.getByTestId('dnc-added').waitFor();
      const row = page.locator(`[data-testid="dnc-row"][data-phone="+861350013500${n}"]`);
      await row.waitFor();
      check((await row.getByTestId('dnc-source').textContent()) === words.source.manual, 'the source is named in words');
      const by = await row.getByTestId('dnc-added-by').textContent();
      check(by.trim() !== '' && !by.includes(':'), `who added it is a name: ${by}`);
      check((await row.getByTestId('dnc-phone').textContent()) === `+86 135 0013 500${n}`, 'the number is formatted');
    });

    await step(page, `${tag}-07-import-do-not-call-numbers`, async () => {
      await page.getByTestId('dnc-import-input').setInputFiles(csvFile('do-not-call.csv', words.dncCsv(n)));
      await page.getByTestId('dnc-import-submit').click();
      const summary = page.getByTestId('dnc-import-summary');
      await summary.waitFor();
      const text = await summary.textContent();
      check(text === words.dncSummary, `the counts: ${text}`);
      const failed = page.getByTestId('dnc-import-error');
      check((await failed.getAttribute('data-row')) === '4', 'the bad row is row 4');
      check((await failed.textContent()).includes(words.dncPhoneHeader), 'the bad row names its column');
      await failed.scrollIntoViewIfNeeded();
      const row = page.locator(`[data-testid="dnc-row"][data-phone="+861360013600${n}"]`);
      await row.waitFor();
      check((await row.getByTestId('dnc-source').textContent()) === words.source.import, 'an imported number says so');
    });

    await step(page, `${tag}-08-remove-a-number`, async () => {
      const phone = `+861360013600${n}`;
      await page.locator(`[data-testid="dnc-row"][data-phone="${phone}"]`).getByTestId('dnc-remove').click();
      const dialog = page.getByTestId('dnc-remove-dialog');
      await dialog.waitFor();
      check((await dialog.textContent()).includes(`+86 136 0013 600${n}`), 'the confirmation names the number');
      await shot(page, `${tag}-08a-confirm`);
      await dialog.getByTestId('confirm-ok').click();
      await page.locator(`[data-testid="dnc-row"][data-phone="${phone}"]`).waitFor({ state: 'detached', timeout: TIMEOUT });
      const { entries } = await call('GET', `/do-not-call?search=${encodeURIComponent(`1360013600${n}`)}`);
      check(entries.length === 0, `the number is gone: ${JSON.stringify(entries)}`);
    });
    // The sheet without a phone column and the number "12" are answered 422 on purpose; the
    // browser logs each failed request.
    const refused = errors.filter((error) => /status of 422/.test(String(error)));
    const unexpected = errors.filter((error) => !/status of 422/.test(String(error)));
    check(refused.length === 2, `two requests were refused on purpose: ${refused.length}`);
    check(unexpected.length === 0, `the page logged errors: ${unexpected.map(String).join('; ')}`);
  } finally {
    await context.close();
  }
}

/** A viewer, invited by the owner, reads the same pages with nothing to change them by. */
async function viewerRun(browser, server, step, { lang, viewport }) {
  const tag = `contacts-${lang === 'en' ? 'en' : 'zh'}-${viewport.width}`;
  const email = `viewer-${lang}-${viewport.width}@example.com`;
  const password = 'viewer-password-2026';
  const { token } = await api(server)('POST', '/users/invites', { email, display_name: `查看者 ${viewport.width}`, role: 'viewer' });
  const accepted = await fetch(`${server.url}/api/v1/invites/accept`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, password }),
  });
  check(accepted.ok, `the viewer joins: ${accepted.status}`);
  const context = await browser.newContext({ viewport, locale: lang });
  const { page, errors } = await watchedPage(context);
  try {
    await step(page, `${tag}-09-a-viewer-only-looks`, async () => {
      await page.goto(server.url);
      await page.getByTestId('login-email').fill(email);
      await page.getByTestId('login-password').fill(password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('flow-list').waitFor();
      if (lang === 'en') await page.getByTestId('lang-switch').click();
      await page.getByTestId('nav-contacts').click();
      await page.getByTestId('contact-list-row').first().waitFor();
      for (const control of ['contacts-create', 'contact-list-rename', 'contact-list-delete']) {
        check((await page.getByTestId(control).count()) === 0, `a viewer has no ${control}`);
      }
      await page.getByTestId('contact-list-open').first().click();
      await page.getByTestId('contact-row').first().waitFor();
      check((await page.getByTestId('contacts-import').count()) === 0, 'a viewer cannot import');
      check((await page.getByTestId('contact-delete').count()) === 0, 'a viewer cannot delete a contact');
      await page.getByTestId('contact-edit').first().click();
      await page.getByTestId('contact-dialog').waitFor();
      check((await page.getByTestId('contact-save').count()) === 0, 'a viewer cannot save a contact');
      check(await page.getByTestId('contact-name-input').isDisabled(), 'a viewer reads a contact in fields that do not change');
      await shot(page, `${tag}-09a-a-viewer-reads-a-contact`);
      await page.getByTestId('contact-dialog-close').click();
      await page.getByTestId('nav-do-not-call').click();
      await page.getByTestId('dnc-row').first().waitFor();
      for (const control of ['dnc-add', 'dnc-import', 'dnc-remove']) {
        check((await page.getByTestId(control).count()) === 0, `a viewer has no ${control}`);
      }
    });
    check(errors.length === 0, `the viewer's page logged errors: ${errors.map(String).join('; ')}`);
  } finally {
    await context.close();
  }
}

export async function contactsSteps({ browser, server, step }) {
  // One number of each run's do-not-call sheet is on the list already: it must be counted so.
  const call = api(server);
  for (const { n } of RUNS) await call('POST', '/do-not-call', { phone: `137 0013 700${n}`, note: '' });
  for (const options of RUNS) await run(browser, server, step, options);
  for (const options of RUNS.slice(0, 2)) await viewerRun(browser, server, step, options);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('contacts', contactsSteps);
}

// End-to-end steps of outbound campaigns, as a shop's manager meets them, in Chinese and in
// English at 1366×768 and at 1920×1080: import a small list, create a survey campaign with the
// satisfaction-survey example flow, be told beside the field what is wrong with a setting,
// start it, pause, resume and stop it, and read its progress, each contact's result, the report
// and an export. The suite's server has no phone account, so no call is placed: the page says
// so in words beside each waiting contact. An editor who is no owner sees why they cannot start.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/campaigns.mjs

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { api, check, runAlone, shot, signedInPage } from './harness.mjs';

/** Full runs make and steer a campaign; the others read what the first ones made. */
const RUNS = [
  { lang: 'zh-CN', viewport: { width: 1366, height: 768 }, n: 1, full: true },
  { lang: 'en', viewport: { width: 1920, height: 1080 }, n: 2, full: true },
  { lang: 'zh-CN', viewport: { width: 1920, height: 1080 }, n: 2, full: false },
  { lang: 'en', viewport: { width: 1366, height: 768 }, n: 1, full: false },
];

const WORDS = {
  'zh-CN': {
    nav: '外呼活动',
    list: (n) => `回访名单 ${n}`,
    csv: (n) => `手机,姓名,birthday\n138 0013 810${n},王芳,1990-03-08\n139 0013 910${n},赵磊,1985-11-20\n`,
    campaign: (n) => `双十一满意度回访 ${n}`,
    flow: '满意度回访',
    draft: '草稿',
    running: '进行中',
    paused: '已暂停',
    stopped: '已停止',
    // No phone account, or no number to call from: why nothing is dialled, in words.
    notDialed: { not_configured: '电话账户未设置', no_number: '没有可用来拨出的电话号码' },
    stoppedContact: '活动已停止',
    csvHeader: '电话',
  },
  en: {
    nav: 'Campaigns',
    list: (n) => `Follow-up list ${n}`,
    csv: (n) => `phone,name,birthday\n138 0013 810${n},Fang Wang,1990-03-08\n139 0013 910${n},Lei Zhao,1985-11-20\n`,
    campaign: (n) => `Holiday satisfaction survey ${n}`,
    flow: '满意度回访',
    draft: 'Draft',
    running: 'Running',
    paused: 'Paused',
    stopped: 'Stopped',
    notDialed: { not_configured: 'No phone account is set up', no_number: 'No phone number to call from' },
    stoppedContact: 'Campaign stopped',
    csvHeader: 'Phone',
  },
};

const csvFile = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });

/** Waits until the campaign page shows `status`. */
async function statusIs(page, status) {
  await page.locator(`[data-testid="campaign-page"][data-status="${status}"]`).waitFor();
}

async function fullRun(browser, server, step, { lang, viewport, n }) {
  const call = api(server);
  const words = WORDS[lang];
  const tag = `campaigns-${lang === 'en' ? 'en' : 'zh'}-${viewport.width}`;
  const { context, page, errors } = await signedInPage(browser, server, { lang, viewport });
  try {
    await step(page, `${tag}-01-import-a-small-list`, async () => {
      await page.getByTestId('nav-contacts').click();
      await page.getByTestId('contacts-create').click();
      await page.getByTestId('contact-list-name').fill(words.list(n));
      await page.getByTestId('contact-list-name-submit').click();
      await page.getByTestId('contacts-none').waitFor();
      await page.getByTestId('contacts-import-input').setInputFiles(csvFile('list.csv', words.csv(n)));
      await page.getByTestId('contacts-import-submit').click();
      await page.locator('[data-testid="contacts-table"][data-total="2"]').waitFor();
    });

    await step(page, `${tag}-02-the-campaigns-page`, async () => {
      await page.getByTestId('nav-campaigns').click();
      check((await page.getByTestId('nav-campaigns').textContent()) === words.nav, `the nav entry says ${words.nav}`);
      await page.getByTestId('campaigns-page').waitFor();
      await page.getByTestId('campaigns-create').click();
      await page.getByTestId('campaign-form').waitFor();
    });

    await step(page, `${tag}-03-the-form-has-the-compliant-defaults`, async () => {
      check((await page.getByTestId('campaign-window-start').inputValue()) === '09:00', 'calls start at 09:00');
      check((await page.getByTestId('campaign-window-end').inputValue()) === '20:00', 'and end at 20:00');
      for (let day = 1; day <= 7; day += 1) check(await page.getByTestId(`campaign-weekday-${day}`).isChecked(), `weekday ${day} is on`);
      check(await page.getByTestId('campaign-skip-holidays').isChecked(), 'holidays are skipped');
      check((await page.getByTestId('campaign-max-concurrent').inputValue()) === '5', 'five at once');
      check(await page.getByTestId('campaign-machine-hang_up').isChecked(), 'machines are hung up on');
      const flows = await page.getByTestId('campaign-flow').locator('option').allTextContents();
      check(flows.some((text) => text.startsWith(words.flow)), `the survey is offered by its title: ${flows}`);
      check(!flows.some((text) => /^flw_|satisfaction-survey/.test(text)), `flows are named, not numbered: ${flows}`);
    });

    await step(page, `${tag}-04-a-wrong-setting-is-named-at-its-field`, async () => {
      await page.getByTestId('campaign-name').fill(words.campaign(n));
      const flow = page.getByTestId('campaign-flow');
      const value = await flow.locator('option').filter({ hasText: words.flow }).first().getAttribute('value');
      await flow.selectOption(value);
      const list = page.getByTestId('campaign-list');
      await list.selectOption(await list.locator('option').filter({ hasText: words.list(n) }).getAttribute('value'));
      // Any hour of the day, so that the run does not depend on when the suite runs.
      await page.getByTestId('campaign-window-start').fill('00:00');
      await page.getByTestId('campaign-window-end').fill('23:59');
      await page.getByTestId('campaign-skip-holidays').uncheck();
      await page.getByTestId('campaign-max-concurrent').fill('0');
      await page.getByTestId('campaign-save').click();
      const form = page.locator('[data-testid="campaign-form-error"][data-code="invalid_campaign"]');
      await form.waitFor();
      const field = page.getByTestId('campaign-max-concurrent').locator('xpath=ancestor::label[1]').getByTestId('field-problem');
      await field.waitFor();
      const text = await field.textContent();
      check(lang === 'zh-CN' ? /[\u4e00-\u9fff]/.test(text) : !/[\u4e00-\u9fff]/.test(text) && /100/.test(text), `the field's problem is in the page's language: ${text}`);
      check(await page.getByTestId('campaign-max-concurrent').getAttribute('aria-invalid') === 'true', 'the field is marked');
      await field.scrollIntoViewIfNeeded();
    });

    let id;
    await step(page, `${tag}-05-saved-as-a-draft`, async () => {
      await page.getByTestId('campaign-max-concurrent').fill('3');
      await page.getByTestId('campaign-save').click();
      await statusIs(page, 'draft');
      check((await page.getByTestId('campaign-status').textContent()) === words.draft, 'the status in words');
      id = decodeURIComponent(page.url().split('#/campaigns/')[1]);
      const stored = await call('GET', `/campaigns/${id}`);
      check(stored.settings.pacing.max_concurrent === 3 && stored.settings.schedule.windows[0].end === '23:59', `the settings are stored: ${JSON.stringify(stored.settings)}`);
      check(stored.settings.schedule.skip_holidays === false && stored.settings.cap.calls === 2, 'with the rest as given');
      await page.getByTestId('campaign-contacts-empty').waitFor();
    });

    await step(page, `${tag}-06-started-it-waits-for-a-phone-account`, async () => {
      await page.getByTestId('campaign-start').click();
      await statusIs(page, 'running');
      check((await page.getByTestId('campaign-status').textContent()) === words.running, 'running, in words');
      await page.locator('[data-testid="progress-contacts"][data-value="2"]').waitFor();
      // The runner tries to dial within seconds; with no phone account (or number) it says so.
      const waiting = page.locator('[data-testid="campaign-contact"][data-note="not_configured"], [data-testid="campaign-contact"][data-note="no_number"]').first();
      await waiting.waitFor({ timeout: 30_000 });
      const note = await waiting.getAttribute('data-note');
      const status = await waiting.getByTestId('campaign-contact-status').textContent();
      check(status.includes(words.notDialed[note]), `the contact's wait is in words: ${status}`);
      const attempts = await page.getByTestId('campaign-contact-attempts').first().textContent();
      check(!/not_dialed|not_configured|no_number|queued/.test(attempts + status), `no codes shown: ${attempts} ${status}`);
      check((await page.getByTestId('campaign-report-empty').count()) === 1, 'the report says it has no results yet');
    });

    await step(page, `${tag}-07-pause-and-resume`, async () => {
      await page.getByTestId('campaign-pause').click();
      await statusIs(page, 'paused');
      check((await page.getByTestId('campaign-status').textContent()) === words.paused, 'paused, in words');
      check((await page.getByTestId('campaign-edit').count()) === 1, 'a paused campaign can be changed');
      await shot(page, `${tag}-07a-paused`);
      await page.getByTestId('campaign-resume').click();
      await statusIs(page, 'running');
    });

    await step(page, `${tag}-08-stop-after-confirming`, async () => {
      // Stopped while paused, once no dial is on its way: a dial the carrier has not answered
      // yet when a campaign stops is settled later, and the server then queues its contact again.
      await page.getByTestId('campaign-pause').click();
      await statusIs(page, 'paused');
      await page.locator('[data-testid="progress-in-progress"][data-value="0"]').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="campaign-contact"][data-state="dialing"]').length === 0);
      await page.getByTestId('campaign-stop').click();
      await page.getByTestId('campaign-stop-dialog').waitFor();
      await shot(page, `${tag}-08a-stop-asks-first`);
      await page.getByTestId('confirm-ok').click();
      await statusIs(page, 'stopped');
      check((await page.getByTestId('campaign-status').textContent()) === words.stopped, 'stopped, in words');
      for (const action of ['start', 'pause', 'resume', 'stop']) check((await page.getByTestId(`campaign-${action}`).count()) === 0, `no ${action} on a stopped campaign`);
      await page.locator('[data-testid="progress-by-status"] li[data-status="stopped"]').waitFor();
      const statuses = await page.getByTestId('campaign-contact-status').allTextContents();
      check(statuses.length === 2 && statuses.every((text) => text === words.stoppedContact), `each contact ended stopped: ${statuses}`);
      await page.getByTestId('campaign-status-filter').selectOption('stopped');
      await page.locator('[data-testid="campaign-contacts"][data-total="2"]').waitFor();
      await page.getByTestId('campaign-status-filter').selectOption('completed');
      await page.getByTestId('campaign-contacts-empty').waitFor();
      await page.getByTestId('campaign-status-filter').selectOption('');
      await page.getByTestId('campaign-progress').scrollIntoViewIfNeeded();
    });

    await step(page, `${tag}-09-export`, async () => {
      const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('campaign-export-csv').click()]);
      check(csv.suggestedFilename() === `${words.campaign(n)}.csv`, `the file is named after the campaign: ${csv.suggestedFilename()}`);
      const text = readFileSync(await csv.path(), 'utf8').replace(/^\uFEFF/, '');
      check(text.split('\n')[0].includes(words.csvHeader), `the file is headed in the page's language: ${text.split('\n')[0]}`);
      check(text.includes(`+86138001381${'0'}${n}`) || text.includes(`138001381${'0'}${n}`), `the file has the contacts: ${text}`);
      const [book] = await Promise.all([page.waitForEvent('download'), page.getByTestId('campaign-export-xlsx').click()]);
      check(book.suggestedFilename() === `${words.campaign(n)}.xlsx`, `an Excel file: ${book.suggestedFilename()}`);
    });

    await step(page, `${tag}-10-the-list-of-campaigns`, async () => {
      await page.getByTestId('nav-campaigns').click();
      const row = page.getByTestId('campaign-row').filter({ hasText: words.campaign(n) });
      await row.waitFor();
      check((await row.getByTestId('campaign-status').textContent()) === words.stopped, 'the row says stopped');
      const text = await row.textContent();
      check(text.includes(words.flow) && text.includes(words.list(n)), `the row names the flow and the list: ${text}`);
      await row.getByTestId('campaign-progress').filter({ hasText: lang === 'en' ? 'Dialed' : '已拨' }).waitFor();
    });
    // The setting out of range is answered 422 on purpose; the browser logs the request.
    const refused = errors.filter((error) => /status of 422/.test(String(error)));
    const unexpected = errors.filter((error) => !/status of 422/.test(String(error)));
    check(refused.length === 1, `one request was refused on purpose: ${refused.length}`);
    check(unexpected.length === 0, `the page logged errors: ${unexpected.map(String).join('; ')}`);
  } finally {
    await context.close();
  }
}

/** The campaigns made by the full runs, read at the other language and size. */
async function readRun(browser, server, step, { lang, viewport, n }) {
  const words = WORDS[lang];
  const tag = `campaigns-${lang === 'en' ? 'en' : 'zh'}-${viewport.width}`;
  const other = WORDS[lang === 'en' ? 'zh-CN' : 'en'];
  const { context, page, errors } = await signedInPage(browser, server, { lang, viewport });
  try {
    await step(page, `${tag}-11-reads-the-campaigns`, async () => {
      await page.getByTestId('nav-campaigns').click();
      await page.getByTestId('campaign-row').filter({ hasText: other.campaign(n) }).waitFor();
      const statuses = await page.getByTestId('campaign-status').allTextContents();
      check(statuses.every((text) => text === words.stopped), `statuses in the page's language: ${statuses}`);
    });
    await step(page, `${tag}-12-reads-a-stopped-campaign`, async () => {
      await page.getByTestId('campaign-link').filter({ hasText: other.campaign(n) }).click();
      await statusIs(page, 'stopped');
      await page.locator('[data-testid="campaign-contacts"][data-total="2"]').waitFor();
      const statuses = await page.getByTestId('campaign-contact-status').allTextContents();
      check(statuses.every((text) => text === words.stoppedContact), `contact statuses in the page's language: ${statuses}`);
    });
    await step(page, `${tag}-13-the-new-campaign-form`, async () => {
      await page.getByTestId('nav-campaigns').click();
      await page.getByTestId('campaigns-create').click();
      await page.getByTestId('campaign-form').waitFor();
      await page.getByTestId('campaign-kind-date').check();
      await page.getByTestId('campaign-list').selectOption({ index: 1 });
      await page.getByTestId('campaign-trigger-field').locator('option[value="birthday"]').waitFor({ state: 'attached' });
      await page.getByTestId('campaign-trigger-field').selectOption('birthday');
      await page.getByTestId('campaign-add-condition').click();
      await page.getByTestId('campaign-machine-leave_message').check();
      await page.getByTestId('campaign-machine-message').waitFor();
    });
    check(errors.length === 0, `the page logged errors: ${errors.map(String).join('; ')}`);
  } finally {
    await context.close();
  }
}

/** An editor who is not an owner may change a campaign but not start it, and is told why. */
async function editorRun(browser, server, step) {
  const email = 'campaign-editor@example.com';
  const password = 'editor-password-2026';
  const call = api(server);
  const { token } = await call('POST', '/users/invites', { email, display_name: '运营 小林', role: 'editor' });
  const accepted = await fetch(`${server.url}/api/v1/invites/accept`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, password }),
  });
  check(accepted.ok, `the editor joins: ${accepted.status}`);
  const flows = await call('GET', '/flows');
  const flow = (flows.flows ?? flows).find((f) => f.name === 'satisfaction-survey');
  const lists = await call('GET', '/contact-lists');
  const draft = await call('POST', '/campaigns', { name: '草稿活动', flow_id: flow.id, list_id: lists[0].id });
  const { context, page, errors } = await signedInPage(browser, server, { lang: 'zh-CN', viewport: { width: 1366, height: 768 }, login: { email, password } });
  try {
    await step(page, 'campaigns-zh-1366-14-an-editor-may-not-start', async () => {
      await page.goto(`${server.url}/#/campaigns/${encodeURIComponent(draft.id)}`);
      await statusIs(page, 'draft');
      check(await page.getByTestId('campaign-start').isDisabled(), 'start is disabled for an editor');
      const why = await page.getByTestId('campaign-owners-only').textContent();
      check(why.includes('所有者'), `the reason is given: ${why}`);
      check((await page.getByTestId('campaign-edit').count()) === 1, 'the editor may change the draft');
    });
    check(errors.length === 0, `the editor's page logged errors: ${errors.map(String).join('; ')}`);
  } finally {
    await context.close();
  }
}

export async function campaignsSteps({ browser, server, step }) {
  // The survey example must be published to be called with.
  const call = api(server);
  const flows = await call('GET', '/flows');
  const survey = (flows.flows ?? flows).find((f) => f.name === 'satisfaction-survey');
  check(survey, 'the demo has the satisfaction survey');
  if (survey.published_version == null) await call('POST', `/flows/${survey.id}/publish`, { note: 'e2e' });
  for (const options of RUNS) {
    if (options.full) await fullRun(browser, server, step, options);
    else await readRun(browser, server, step, options);
  }
  await editorRun(browser, server, step);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('campaigns', campaignsSteps);
}

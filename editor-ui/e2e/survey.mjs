// End-to-end steps of a satisfaction survey that really calls: a server whose Twilio account is
// the fake Twilio (tests/src/bin/faketwilio.rs), which places each dial to the server's
// webhooks and answers as the member would — a score on the keypad, then a reason spoken; a
// busy line; no answer; an answering machine, on which the campaign leaves a message. One
// member is on the do-not-call list. The manager starts the campaign
// on its page and watches the calls come in, reads each member's score and reason and the
// report (distribution, NPS, reasons), in Chinese at 1366×768 and in English at 1920×1080, and
// finds the campaign on the analytics dashboard. The calls' first words are the shop's
// outbound notice; nobody on the list is called.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/survey.mjs

import { fileURLToPath } from 'node:url';
import { fakeTwilio } from './faketwilio.mjs';
import { api, check, runWithOwnServer, signedInPage, startServer } from './harness.mjs';

const ACCOUNT_SID = 'AC5e1f0c0ffee5e1f0c0ffee5e1f0c0ff1';
const AUTH_TOKEN = 'e2e-survey-auth-token-0123456789ab';
const SHOP_NUMBER = '+862161234567';
const NOTICE = {
  'zh-CN': '您好，这是演示商城的智能客服来电，通话可能会被录音。',
  en: "Hello, this is Demo Shop's automated assistant; this call may be recorded.",
};

/** The members, what each does when called, and what the report must then say. */
const MEMBERS = [
  { phone: '+8613800138001', name: '王芳', answer: { answer: 'human', steps: [{ press: '10#' }, { say: '送货很快' }] }, score: 10 },
  { phone: '+8613800138002', name: '赵磊', answer: { answer: 'human', steps: [{ press: '9#' }, { say: '快递送得很快' }] }, score: 9 },
  { phone: '+8613800138003', name: '李娜', answer: { answer: 'human', steps: [{ press: '3#' }, { say: '包装破损' }] }, score: 3 },
  { phone: '+8613800138004', name: '陈强', answer: { answer: 'busy' }, waits: 'busy' },
  { phone: '+8613800138005', name: '刘洋', answer: { answer: 'no_answer' }, waits: 'no_answer' },
  { phone: '+8613800138006', name: '周婷', answer: { answer: 'human', steps: [{ press: '10#' }] }, listed: true },
  { phone: '+8613800138007', name: '孙伟', answer: { answer: 'machine' }, machine: true },
];
/** What the campaign leaves on an answering machine. */
const MESSAGE = '您好，这里是演示商城，想请您为最近的订单打个分，稍后再给您打过来。';
// Promoters (9–10) less detractors (0–6), as a share of the scores: (2 − 1) / 3.
const NPS = Math.round(((2 - 1) / 3) * 100);

const WORDS = {
  'zh-CN': { busy: '上次忙线，等待重拨', noAnswer: '上次无人接听，等待重拨', voicemail: '上次是语音信箱，等待重拨', listed: '在免打扰名单上', completed: '已完成', running: '进行中', dashboard: '外呼活动' },
  en: { busy: 'Busy last time', noAnswer: 'No answer last time', voicemail: 'Voicemail last time', listed: 'On the do-not-call list', completed: 'Completed', running: 'Running', dashboard: 'Campaigns' },
};

const localNumber = (phone) => `${phone.slice(3, 6)} ${phone.slice(6, 10)} ${phone.slice(10)}`;

/** The shop: the fake's account, a number to call from, the notice, the list and the campaign. */
async function setUp(server) {
  const call = api(server);
  const flows = await call('GET', '/flows');
  const survey = (flows.flows ?? flows).find((f) => f.name === 'satisfaction-survey');
  check(survey, 'the demo has the satisfaction survey');
  if (survey.published_version == null) await call('POST', `/flows/${survey.id}/publish`, { note: 'e2e' });
  await call('PUT', '/telephony', { twilio: { account_sid: ACCOUNT_SID, auth_token: AUTH_TOKEN }, speech: { tts: { provider: 'twilio' } } });
  await call('PUT', `/phone-numbers/${encodeURIComponent(SHOP_NUMBER)}`, { flow_id: survey.id, mode: 'webhook' });
  const profile = await call('GET', '/tenant/profile');
  await call('PUT', '/tenant/profile', {
    display_name: profile.display_name,
    time_zone: profile.time_zone,
    region: profile.region,
    outbound_notice: NOTICE,
  });
  const list = await call('POST', '/contact-lists', { name: '双十一回访会员' });
  const csv = `手机,姓名\n${MEMBERS.map((m) => `${localNumber(m.phone)},${m.name}`).join('\n')}\n`;
  const imported = await fetch(`${server.url}/api/v1/contact-lists/${list.id}/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'text/csv' },
    body: csv,
  });
  check(imported.ok, `the list is imported: ${imported.status} ${await imported.text()}`);
  for (const member of MEMBERS.filter((m) => m.listed)) await call('POST', '/do-not-call', { phone: member.phone, note: '客户来电要求' });
  // Every hour of every day, so that the run does not depend on when the suite runs; the
  // default hours (09:00–20:00, holidays skipped) are the campaigns steps' and the Rust tests'.
  const campaign = await call('POST', '/campaigns', {
    name: '双十一满意度调查',
    flow_id: survey.id,
    list_id: list.id,
    settings: {
      schedule: { windows: [{ start: '00:00', end: '24:00' }], skip_holidays: false, stop_margin_minutes: 0 },
      machine: { action: 'leave_message', message: MESSAGE },
    },
  });
  return campaign.id;
}

/** The contact rows by member name: { status, cells }. */
async function rows(page) {
  return page.getByTestId('campaign-contact').evaluateAll((found) =>
    Object.fromEntries(
      found.map((row) => {
        const cells = [...row.querySelectorAll('td')].map((cell) => cell.textContent.trim());
        return [cells[1], { status: row.querySelector('[data-testid="campaign-contact-status"]').textContent, state: row.dataset.state, note: row.dataset.note, cells }];
      }),
    ),
  );
}

async function reportChecks(page, lang) {
  const words = WORDS[lang];
  const nps = await page.getByTestId('report-nps').textContent();
  check(nps.includes(String(NPS)), `the NPS of the three scores: ${nps}`);
  const distribution = await page.getByTestId('report-distribution').innerText();
  for (const score of [10, 9, 3]) check(new RegExp(`(^|\\n)${score}\\s`).test(distribution), `score ${score} is in the distribution: ${distribution}`);
  // 送货很快 and 快递送得很快 are one reason put two ways.
  const liked = page.locator('[data-testid="report-variable"][data-var="liked"] [data-testid="report-group"]');
  check((await liked.count()) === 1, `what members liked is one group: ${await liked.allInnerTexts()}`);
  const wordings = await liked.getByTestId('report-wordings').innerText();
  check(wordings.includes('送货很快') && wordings.includes('快递送得很快'), `with both wordings: ${wordings}`);
  check((await liked.locator('.campaign-bars-count').innerText()).trim() === '2', 'said by two');
  const reasons = await page.locator('[data-testid="report-variable"][data-var="reason"]').getByTestId('report-groups').innerText();
  check(reasons.includes('包装破损'), `the reason for a low score: ${reasons}`);
  const byName = await rows(page);
  check(byName['王芳'].status === words.completed && byName['王芳'].cells.includes('10'), `王芳's score is read: ${JSON.stringify(byName['王芳'])}`);
  check(byName['李娜'].cells.includes('包装破损'), `李娜's reason is read: ${JSON.stringify(byName['李娜'])}`);
  check(byName['陈强'].status.includes(words.busy), `the busy line waits to be called again, in words: ${byName['陈强'].status}`);
  check(byName['刘洋'].status.includes(words.noAnswer), `no answer waits too: ${byName['刘洋'].status}`);
  check(byName['孙伟'].status.includes(words.voicemail), `so does the answering machine: ${byName['孙伟'].status}`);
  check(byName['周婷'].status === words.listed, `the listed member is never called, in words: ${byName['周婷'].status}`);
}

export async function surveySteps({ browser, step }) {
  const fake = await fakeTwilio({
    account_sid: ACCOUNT_SID,
    auth_token: AUTH_TOKEN,
    answers: Object.fromEntries(MEMBERS.map((m) => [m.phone, m.answer])),
  });
  const server = await startServer({ env: { CALLFLOW_TWILIO_API_URL: fake.url } });
  try {
    const id = await setUp(server);
    const zh = await signedInPage(browser, server, { lang: 'zh-CN', viewport: { width: 1366, height: 768 } });
    try {
      const { page } = zh;
      await step(page, 'survey-zh-01-start-the-survey', async () => {
        await page.getByTestId('nav-campaigns').click();
        await page.getByTestId('campaign-link').filter({ hasText: '双十一满意度调查' }).click();
        await page.locator('[data-testid="campaign-page"][data-status="draft"]').waitFor();
        await page.getByTestId('campaign-start').click();
        await page.locator('[data-testid="campaign-page"][data-status="running"]').waitFor();
        check((await page.getByTestId('campaign-status').textContent()) === WORDS['zh-CN'].running, 'running, in words');
      });

      await step(page, 'survey-zh-02-the-calls-come-in', async () => {
        // The page polls: the three members who answer complete the survey on the phone.
        await page.locator('[data-testid="progress-completed"][data-value="3"]').waitFor({ timeout: 60_000 });
        await page.locator('[data-testid="progress-dialed"][data-value="6"]').waitFor({ timeout: 30_000 });
        await page.locator('[data-testid="progress-in-progress"][data-value="0"]').waitFor({ timeout: 30_000 });
        for (const member of MEMBERS.filter((m) => !m.listed)) {
          const ended = await fake.endedTo(member.phone);
          check(ended.from === SHOP_NUMBER, `called from the shop's number: ${ended.from}`);
          if (member.machine) {
            check(ended.answered_by?.startsWith('machine'), `a machine answered: ${ended.answered_by}`);
            check(JSON.stringify(ended.heard) === JSON.stringify([NOTICE['zh-CN'], MESSAGE]), `the machine gets the notice and the message, nothing else: ${ended.heard.join(' | ')}`);
          }
          if (member.score !== undefined) {
            check(ended.heard[0] === NOTICE['zh-CN'], `the notice is the first thing ${member.name} hears: ${ended.heard[0]}`);
            check(ended.heard.some((said) => said.includes('打几分')), `${member.name} is asked for a score: ${ended.heard.join(' | ')}`);
          }
        }
        const listed = MEMBERS.filter((m) => m.listed).map((m) => m.phone);
        check(!fake.ended.some((ended) => listed.includes(ended.to)), `nobody on the do-not-call list is called: ${fake.ended.map((e) => e.to)}`);
        check(fake.ended.length === 6, `six calls, one each: ${fake.ended.map((e) => e.to)}`);
        await page.getByTestId('campaign-progress').scrollIntoViewIfNeeded();
      });

      await step(page, 'survey-zh-03-scores-reasons-and-the-report', async () => {
        await page.getByTestId('report-nps').waitFor();
        await reportChecks(page, 'zh-CN');
        // Results are named as the flow names them (满意度评分), never by their variables.
        const headings = await page.getByTestId('report-variable').locator('h3').allInnerTexts();
        check(headings.join() === '满意度评分,满意的地方,不满意的原因', `the report's results by their labels, in the flow's order: ${headings}`);
        const english = (await page.locator('main').innerText()).replace(/NPS|CSV|Excel|XLSX/g, ' ').match(/[A-Za-z]{3,}/g);
        check(!english, `no English on the Chinese campaign page: ${english}`);
        await page.getByTestId('campaign-report').scrollIntoViewIfNeeded();
      });

      await step(page, 'survey-zh-04-on-the-dashboard', async () => {
        await page.goto(`${server.url}/dashboard/campaigns`);
        check((await page.locator('h1').innerText()) === WORDS['zh-CN'].dashboard, 'the dashboard page, in Chinese');
        const panel = page.locator(`[data-testid="campaign"][data-id="${id}"]`);
        check((await panel.getByTestId('campaign-completed').textContent()).trim() === '3', 'three completed');
        const nps = await panel.getByTestId('campaign-nps').innerText();
        check(nps.includes(String(NPS)), `the NPS on the dashboard: ${nps}`);
        // The reasons as the campaign page groups them: one line put two ways.
        const liked = panel.locator('[data-testid="result"][data-var="liked"] [data-testid="campaign-reason"]');
        check((await liked.count()) === 1, `one group of what members liked: ${await liked.allInnerTexts()}`);
        const row = await liked.innerText();
        check(row.includes('送货很快') && row.includes('快递送得很快') && /\s2\s/.test(row), `the group, its count and wordings: ${row}`);
      });
      check(zh.errors.length === 0, `the page logged errors: ${zh.errors.map(String).join('; ')}`);
    } finally {
      await zh.context.close();
    }

    const en = await signedInPage(browser, server, { lang: 'en', viewport: { width: 1920, height: 1080 } });
    try {
      const { page } = en;
      await step(page, 'survey-en-05-the-report-in-english', async () => {
        await page.goto(`${server.url}/#/campaigns/${encodeURIComponent(id)}`);
        await page.locator('[data-testid="campaign-page"][data-status="running"]').waitFor();
        await page.getByTestId('report-nps').waitFor();
        await reportChecks(page, 'en');
        const progress = await page.getByTestId('campaign-progress').innerText();
        check(!/[\u4e00-\u9fff]/.test(progress), `the progress is in English: ${progress}`);
      });
      check(en.errors.length === 0, `the page logged errors: ${en.errors.map(String).join('; ')}`);
    } finally {
      await en.context.close();
    }
  } finally {
    await server.stop();
    await fake.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runWithOwnServer('survey', surveySteps);
}

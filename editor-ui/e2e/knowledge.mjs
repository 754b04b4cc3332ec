// End-to-end steps of the Knowledge page, as a customer-service manager fills an FAQ: open
// 知识库 in Chinese, create a base (after a key the form refuses), import an XLSX sheet with one
// bad row keeping the valid rows, see that row's error, edit an entry, try a question and get
// the right entry first, export CSV and XLSX, read the revisions, and look at it in English;
// then ask the demo shop FAQ flow a question in Try it and see, in Chinese, which entry answered.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/knowledge.mjs

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, ensureArtifacts, runAlone, shot } from './harness.mjs';
import { xlsx } from './xlsx.mjs';

/** The sheet imported: five good rows and, in spreadsheet row 6, one without an answer. */
export const SHEET = [
  ['问题', '相似问法', '答案', '分类', '启用'],
  ['怎么申请退款', '我要退款\n钱怎么退', '在订单详情里点“申请退款”，填写原因后提交即可。', '退款', '是'],
  ['退款多久到账', '钱多久能退回来|退款什么时候到', '退款审核通过后 1 到 3 个工作日原路退回。', '退款', '是'],
  ['怎么开发票', '能开发票吗', '在订单详情页点“申请发票”，电子发票会发到 {{vars.email}}。', '发票', '是'],
  ['退货运费谁出', '退货要我出运费吗', '商品有质量问题由我们承担运费；七天无理由退货的运费由您承担。', '退货', '是'],
  ['会员有什么好处', '开会员划算吗', '', '会员', '是'],
  ['怎么修改收货地址', '改地址', '发货前可以在订单详情里修改收货地址。', '物流', '否'],
];
const BAD_ROW = 6;
const GOOD_ROWS = SHEET.length - 2;

/** The editor's visible text, for checking which language it speaks. */
const visibleText = (page) => page.locator('main').innerText();

/** Words of three or more Latin letters in a Chinese page, apart from what users typed or file names. */
function englishWords(text, allowed) {
  // Longest first, so that a key is taken out whole before any of its parts.
  const rest = [...allowed]
    .sort((a, b) => b.length - a.length)
    .reduce((left, ok) => left.replace(new RegExp(ok.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), ' '), text);
  return rest.match(/[A-Za-z]{3,}/g) ?? [];
}

/** Runs the steps on a signed-in `page` of `server`; `step` names and screenshots each. */
export async function knowledgeSteps({ page, server, step }) {
  const key = `faq-${Date.now().toString(36)}`;
  const name = '端到端常见问题';
  const latinAllowed = [key, 'faq', 'CSV', 'Excel', 'xlsx', 'vars.email', 'vars.x', 'vars.order_id', 'API', 'Callflow'];
  const sheetPath = join(ensureArtifacts(), 'knowledge-import.xlsx');
  writeFileSync(sheetPath, xlsx(SHEET, '常见问题'));

  await step(page, 'kb-01-knowledge-page-in-chinese', async () => {
    await page.goto(`${server.url}/#/`);
    await page.getByTestId('nav-knowledge').click();
    await page.waitForURL(/#\/knowledge$/);
    await page.getByTestId('kb-create').waitFor();
    check((await page.getByTestId('lang-switch').getAttribute('data-lang')) === 'zh-CN', 'the editor speaks Chinese');
    const heading = await page.locator('h1').first().textContent();
    check(heading === '知识库', `the page is called 知识库: ${heading}`);
    const stray = englishWords(await visibleText(page), latinAllowed.concat(['shop']));
    check(stray.length === 0, `English words on the Chinese page: ${stray.join(', ')}`);
  });

  await step(page, 'kb-02-create-a-base', async () => {
    await page.getByTestId('kb-create').click();
    await page.getByTestId('kb-create-name').fill(name);
    await page.getByTestId('kb-create-key').fill('Shop FAQ');
    await page.getByTestId('kb-create-submit').click();
    const problem = await page.getByTestId('field-problem').textContent();
    check(/小写字母/.test(problem ?? ''), `the key is refused in Chinese: ${problem}`);
    await shot(page, 'kb-02-key-refused');
    await page.getByTestId('kb-create-key').fill(key);
    await page.getByTestId('kb-create-submit').click();
    await page.waitForURL(new RegExp(`#/knowledge/${key}$`));
    await page.locator('[data-testid="kb-name"]', { hasText: name }).waitFor();
    await page.getByTestId('entry-list-empty').waitFor();
  });

  await step(page, 'kb-03-import-xlsx-keeping-valid-rows', async () => {
    await page.getByTestId('kb-tab-import').click();
    await page.getByTestId('kb-import-input').setInputFiles(sheetPath);
    await page.locator('[data-testid="kb-import-file-name"]', { hasText: 'knowledge-import.xlsx' }).waitFor();
    await page.getByTestId('kb-import-mode-partial').check();
    await page.getByTestId('kb-import-submit').click();
    await page.getByTestId('kb-import-report').waitFor();
    const rows = page.getByTestId('kb-import-row');
    check((await rows.count()) === SHEET.length - 1, `one result per row: ${await rows.count()}`);
    const bad = page.locator(`[data-testid="kb-import-row"][data-row="${BAD_ROW}"]`);
    check((await bad.getAttribute('data-status')) === 'failed', `row ${BAD_ROW} failed`);
    const message = (await bad.getByTestId('kb-import-row-message').textContent()) ?? '';
    check(/[\u4e00-\u9fff]/.test(message), `row ${BAD_ROW} says why in Chinese: ${message}`);
    const created = await page.locator('[data-testid="kb-import-row"][data-status="created"]').count();
    check(created === GOOD_ROWS, `the ${GOOD_ROWS} valid rows are added, not ${created}`);
    check((await page.getByTestId('kb-import-report').getAttribute('data-rejected')) === 'false', 'the valid rows were written');
  });

  await step(page, 'kb-04-edit-an-entry', async () => {
    await page.getByTestId('kb-tab-entries').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="entry-row"]').length === n, GOOD_ROWS);
    const row = page.locator('[data-testid="entry-row"][data-question="怎么开发票"]');
    await row.getByTestId('entry-edit').click();
    await page.getByTestId('entry-dialog').waitFor();
    const alternatives = await page.getByTestId('entry-alternatives').inputValue();
    check(alternatives === '能开发票吗', `the alternatives are one per line: ${alternatives}`);
    await page.getByTestId('entry-alternatives').fill('能开发票吗\n发票怎么开\n我要开专票');
    await page.getByTestId('entry-answer-input').fill('在订单详情页点“申请发票”，电子发票会在 24 小时内发到 {{vars.email}}。');
    await page.getByTestId('entry-save').click();
    await page.getByTestId('entry-dialog').waitFor({ state: 'detached' });
    await row.locator('[data-testid="entry-answer"]', { hasText: '24 小时内' }).waitFor();
    check(/另有 3 种问法/.test((await row.textContent()) ?? ''), 'the new alternatives are counted');
  });

  await step(page, 'kb-05-try-a-question', async () => {
    await page.getByTestId('kb-tab-try').click();
    await page.getByTestId('kb-try-input').fill('我的退款多久能到账啊');
    await page.getByTestId('kb-try-submit').click();
    await page.locator('[data-testid="kb-try-result"][data-asked="我的退款多久能到账啊"]').waitFor();
    const first = await page.getByTestId('kb-try-hit').first().getAttribute('data-question');
    check(first === '退款多久到账', `the right entry comes first: ${first}`);
    const decision = (await page.getByTestId('kb-try-decision').textContent()) ?? '';
    check(['能回答', '找不到答案'].includes(decision) || decision.startsWith('有几个相近'), `the decision is in Chinese: ${decision}`);
    const score = Number(await page.getByTestId('kb-try-score').first().textContent());
    check(score > 0 && score <= 1, `a score between 0 and 1: ${score}`);
  });

  await step(page, 'kb-06-export-csv-and-xlsx', async () => {
    await page.getByTestId('kb-tab-import').click();
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('kb-export-csv').click()]);
    const csvText = readFileSync(await csv.path(), 'utf8');
    check(/\.csv$/.test(csv.suggestedFilename()), `a CSV file name: ${csv.suggestedFilename()}`);
    check(csvText.includes('24 小时内') && csvText.includes('退款多久到账'), 'the CSV holds the entries, with the edit');
    const [book] = await Promise.all([page.waitForEvent('download'), page.getByTestId('kb-export-xlsx').click()]);
    const bytes = readFileSync(await book.path());
    check(/\.xlsx$/.test(book.suggestedFilename()), `an XLSX file name: ${book.suggestedFilename()}`);
    check(bytes.subarray(0, 2).toString() === 'PK', 'the XLSX is a ZIP workbook');
  });

  await step(page, 'kb-07-revisions-by-name', async () => {
    await page.getByTestId('kb-tab-revisions').click();
    await page.getByTestId('kb-revisions').waitFor();
    const by = await page.getByTestId('kb-revision-by').allTextContents();
    check(by.length >= 3, `creation, import and edit are revisions: ${by.length}`);
    check(by.every((who) => who.trim() !== '' && !/^(user|key):|^usr_|^key_/.test(who)), `names, not ids: ${by.join(', ')}`);
    // People's names are theirs, in whatever script they were written.
    const names = by.flatMap((who) => who.split(/\s+/));
    const stray = englishWords(await visibleText(page), latinAllowed.concat(names));
    check(stray.length === 0, `English words on the Chinese page: ${stray.join(', ')}`);
  });

  await step(page, 'kb-08-in-english', async () => {
    await page.getByTestId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
    await page.getByTestId('kb-tab-try').click();
    await page.getByTestId('kb-try-input').fill('怎么开发票');
    await page.getByTestId('kb-try-submit').click();
    // The previous question's answer stays until this one arrives: wait for the answer to this one.
    await page.locator('[data-testid="kb-try-result"][data-asked="怎么开发票"]').waitFor();
    const first = await page.getByTestId('kb-try-hit').first().getAttribute('data-question');
    check(first === '怎么开发票', `the invoice entry comes first: ${first}`);
    const tab = await page.getByTestId('kb-tab-try').textContent();
    check(tab === 'Try a question', `the tabs speak English: ${tab}`);
    const decision = (await page.getByTestId('kb-try-decision').textContent()) ?? '';
    check(/^(Answered|No answer|Several answers)/.test(decision), `the decision is in English: ${decision}`);
    await shot(page, 'kb-08-in-english-try');
    await page.getByTestId('nav-knowledge').click();
    await page.locator(`[data-testid="kb-row"][data-key="${key}"]`).waitFor();
    const count = await page.locator(`[data-testid="kb-row"][data-key="${key}"] [data-testid="kb-entry-count"]`).textContent();
    check(/^5 entries/.test(count ?? ''), `the list counts the entries: ${count}`);
  });

  await step(page, 'kb-09-back-to-chinese', async () => {
    await page.getByTestId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="zh-CN"]').waitFor();
  });

  await step(page, 'kb-10-try-it-shop-faq-answers-and-hears-feedback', async () => {
    await page.goto(`${server.url}/#/`);
    await page.locator('[data-testid="flow-row"][data-name="shop-faq"] [data-testid="flow-open"]').click();
    await page.getByTestId('node-faq').waitFor();
    await page.getByTestId('tab-tryit').click();
    await page.getByTestId('tryit-start').click();
    await page.locator('[data-testid="tryit-message"][data-node="faq"]').waitFor();
    await page.getByTestId('tryit-input').fill('包邮吗');
    await page.getByTestId('tryit-send').click();
    const answered = page.locator('[data-testid="tryit-knowledge"][data-kind="kb_answered"]');
    await answered.waitFor();
    const line = (await answered.textContent()) ?? '';
    check(line.includes('知识库回答了“运费怎么算”'), `the line names the entry by its question: ${line}`);
    check(/匹配度 \d+%/.test(line), `the line gives the score: ${line}`);
    check(!/kbe_|row-\d|shop-faq/.test(line), `no ids on the line: ${line}`);
    await page.getByTestId('tryit-input').fill('是的');
    await page.getByTestId('tryit-send').click();
    const feedback = page.locator('[data-testid="tryit-knowledge"][data-kind="kb_feedback"]');
    await feedback.waitFor();
    const said = (await feedback.textContent()) ?? '';
    check(said.includes('来电者觉得“运费怎么算”的回答有帮助'), `the feedback line: ${said}`);
    await page.locator('[data-testid="tryit-message"][data-node="ask_more"]').waitFor();
    const log = await page.getByTestId('tryit-log').innerText();
    const stray = englishWords(log, []);
    check(stray.length === 0, `English words in the Chinese Try it log: ${stray.join(', ')}`);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('knowledge', knowledgeSteps);
}

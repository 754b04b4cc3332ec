// End-to-end steps of the editor's languages as a manager meets them: a draft with many kinds
// of problems (a connection to a node that does not exist, an empty one, an empty handoff queue,
// a variable nothing sets, a broken script and condition, a key that is not a key, a wrong type)
// is opened in the Chinese editor, whose problems panel must hold no English word beyond the
// flow's own ids, fields and values; then in the English editor, whose problems are in English.
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/language.mjs

import { fileURLToPath } from 'node:url';
import { api, check, runAlone, TIMEOUT } from './harness.mjs';

const broken = {
  schema: 1,
  name: '问题很多的流程',
  language: 'zh-CN',
  start: 'greet',
  nodes: [
    { id: 'greet', type: 'say', text: '您好，{{vars.eta}}到货', next: 'ask_need' },
    {
      id: 'ask_need', type: 'ask', prompt: '请问有什么可以帮您？', timeout_ms: 'five',
      intents: [{ name: 'track', examples: ['查物流'], next: 'nowhere' }],
      no_match: { next: '' }, no_input: { next: 'agent' },
    },
    { id: 'calc', type: 'script', code: 'let x = 1;\nx +* 2;', next: 'route', error: 'agent' },
    { id: 'route', type: 'branch', cases: [{ when: 'vars.a ==', next: 'bye' }], else: 'bye' },
    { id: 'keys', type: 'menu', prompt: '请按键', choices: [{ key: '12', next: 'bye' }], no_match: { next: 'bye' }, no_input: { next: 'bye' } },
    { id: 'agent', type: 'handoff', queue: '', error: 'bye' },
    { id: 'bye', type: 'end', outcome: 'resolved' },
  ],
};

/** Every run of three or more Latin letters in `text` that the flow does not hold itself. */
function englishWords(text, flow) {
  const own = JSON.stringify(flow);
  // Examples written in code (`vars.status == "shipped"`) are code in either language.
  const words = text.replace(/vars\.[A-Za-z_]\w*|"[^"\u4e00-\u9fff]*"/g, '');
  return (words.match(/[A-Za-z_][A-Za-z0-9_.]*/g) ?? [])
    .filter((word) => (word.match(/[A-Za-z]/g) ?? []).length >= 3)
    .filter((word) => !own.includes(word))
    // Names of the editor's technical kind that Chinese texts keep as they are.
    .filter((word) => !['JSON', 'URL', 'SIP', 'HTTP', 'vars', 'null', 'true', 'false'].includes(word));
}

async function openProblems(page, server, flowId) {
  await page.goto(`${server.url}/#/flows/${encodeURIComponent(flowId)}`);
  await page.getByTestId('node-greet').waitFor({ timeout: TIMEOUT });
  const toggle = page.getByTestId('problems-toggle');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.locator('[data-testid="problem"][data-code="dangling_port"]').first().waitFor({ timeout: TIMEOUT });
  return page.locator('[data-testid="problem"] .problem-message').allTextContents();
}

/** Runs the steps on a signed-in `page` of `server`; `step` names and screenshots each. */
export async function languageSteps({ page, server, step }) {
  const flow = await api(server)('POST', '/flows', broken);
  const codes = [
    'dangling_port', 'missing_port', 'handoff_target', 'unset_variable', 'script_syntax',
    'expression_syntax', 'invalid_key', 'wrong_type',
  ];

  await step(page, 'language-01-problems-in-chinese', async () => {
    const messages = await openProblems(page, server, flow.id);
    for (const code of codes) {
      const count = await page.locator(`[data-testid="problem"][data-code="${code}"]`).count();
      check(count > 0, `the panel lists a ${code} problem`);
    }
    const english = messages.flatMap((message) => englishWords(message, broken).map((word) => `${word} in “${message}”`));
    check(english.length === 0, `no English in the Chinese problems: ${english.join(' | ')}`);
    check(messages.some((m) => m.includes('「nowhere」不存在')), `the dangling connection names its target: ${messages.join(' | ')}`);
    check(messages.some((m) => m.includes('要转接的队列是空的')), `the empty queue is said in Chinese: ${messages.join(' | ')}`);
  });

  await step(page, 'language-02-problems-in-english', async () => {
    // Switched as a manager does, with the header's button (it also sets the cookie the
    // dashboard shares, which wins over what the page alone remembers).
    await page.getByTestId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
    await page.reload();
    const messages = await openProblems(page, server, flow.id);
    check(messages.every((m) => !/[\u4e00-\u9fff]/.test(m.replace(/“[^”]*”|"[^"]*"|「[^」]*」/g, ''))), `no Chinese beyond quoted values: ${messages.join(' | ')}`);
    check(messages.some((m) => m.includes('The "queue" to transfer to is empty')), `the empty queue in English: ${messages.join(' | ')}`);
    check(messages.some((m) => m.includes('leads to node "nowhere", which does not exist')), `the dangling connection in English: ${messages.join(' | ')}`);
    await page.getByTestId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="zh-CN"]').waitFor();
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('language', languageSteps);
}

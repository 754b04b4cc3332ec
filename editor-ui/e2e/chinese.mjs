// End-to-end sweep of the Chinese product as a new manager meets it: on a fresh install with its
// two weeks of demo calls, every editor page (the flow list, a flow's editor, the knowledge
// bases and one of them, the widget, privacy, the contact lists and one of them, the
// do-not-call list, the campaigns, a running one and the campaign form, each settings tab, people, API keys, the audit log) and every dashboard page (overview, calls, a transcript, what callers said that no flow
// understood, knowledge, results, the agents' console) is read in zh-CN at 1366×768, and no
// Latin word of three letters or more may show but the product and technical names allowed
// below and the shop's own data (read from the API: its English example flows, their callers'
// English phrasings, the names people gave things).
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/chinese.mjs

import { fileURLToPath } from 'node:url';
import { api, check, runAlone, startServer, TIMEOUT, watchedPage } from './harness.mjs';

/** Words a Chinese page keeps as they are, each for its reason. */
const ALLOWED = new Map([
  ['Callflow', 'the product’s name'],
  ['Twilio', 'the telephony provider’s name'],
  ['Deepgram', 'the speech provider’s name'],
  ['Aura', 'the name of Deepgram’s voices'],
  ['espeak', 'the built-in voice engine’s name'],
  ['API', 'what Chinese developers call it'],
  ['URL', 'what Chinese users call an address'],
  ['JSON', 'a file format’s name'],
  ['CSV', 'a file format’s name'],
  ['XLSX', 'a file format’s name'],
  ['Excel', 'the spreadsheet program’s name'],
  ['UTF-8', 'a text encoding’s name, as Excel’s “save as” offers it'],
  ['GBK', 'the Chinese text encoding’s name, as Excel’s “save as” offers it'],
  ['HMAC-SHA256', 'the signature algorithm’s name'],
  ['SHA256', 'part of the signature algorithm’s name'],
  ['HMAC', 'part of the signature algorithm’s name'],
  ['webhook', 'the telephony term Twilio’s console uses'],
  ['Webhook', 'the telephony term Twilio’s console uses'],
  ['Media', 'part of “Media Streams”, Twilio’s product name'],
  ['Streams', 'part of “Media Streams”, Twilio’s product name'],
  ['TwiML', 'Twilio’s markup language’s name'],
  ['SIP', 'the telephony protocol’s name'],
  ['HTTP', 'the protocol’s name'],
  ['HTTPS', 'the protocol’s name'],
  ['NPS', 'the survey score’s usual name'],
  ['FAQ', 'the usual name of a list of questions'],
  ['Bearer', 'the authorization scheme a developer types'],
  ['OpenAPI', 'the API description format’s name'],
  ['Rhai', 'the scripting language’s name'],
  ['vars', 'how scripts and conditions name the call’s variables'],
  ['true', 'a condition’s value as a script writes it, beside its Chinese name'],
  ['false', 'a condition’s value as a script writes it, beside its Chinese name'],
  ['GET', 'an HTTP method, as a request node is written'],
  ['POST', 'an HTTP method, as a request node is written'],
  ['UTC', 'the time offsets’ standard name in the time-zone select'],
  ['zh-CN', 'a language’s standard tag, which flows and the embed code are written with'],
  ['en-US', 'a language’s standard tag, which flows and the embed code are written with'],
  ['English', 'the language switch names the other language in its own words'],
  ['GDPR', 'the European regulation’s name'],
  ['Authorization', 'the HTTP header a developer types'],
  ['script', 'HTML the shop’s developer pastes into its pages'],
  ['lang', 'HTML the shop’s developer pastes into its pages'],
  ['data-lang', 'HTML the shop’s developer pastes into its pages'],
  ['data-customer', 'HTML the shop’s developer pastes into its pages'],
  ['data-customer-signature', 'HTML the shop’s developer pastes into its pages'],
  ['customer', 'the {{customer}} placeholder a flow is written with'],
  ['visitor', 'the prefix of a web visitor’s id as calls record it, which a privacy request is looked up by'],
  ['espeak-ng', 'the built-in voice engine’s name'],
  ['cmn', 'a voice’s name as espeak-ng knows it, which a manager types'],
  ['aura-2-thalia-en', 'a voice’s name as Deepgram knows it, which a manager types'],
]);

/** The shop's own texts (its flows' words, its callers' phrasings, the names people gave
 * things), which a Chinese page shows as they are, from the API's answers. */
function shopTexts(...answers) {
  // The fields that hold what people wrote or said; keys and codes are not among them.
  const written = new Set([
    'title', 'text', 'prompt', 'label', 'examples', 'question', 'answer', 'alternatives', 'display_name',
    'phrasings', 'texts', 'said', 'heard', 'reply', 'message', 'note', 'description', 'utterance',
    // A flow's variables, requests and conditions, which the shop names and writes.
    'var', 'save_as', 'url', 'when', 'value',
    // An API key's first characters, which tell keys apart.
    'prefix',
  ]);
  const texts = new Set();
  const visit = (value, key) => {
    if (typeof value === 'string') {
      if (written.has(key) && value.trim().length > 0) texts.add(value.trim());
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, key);
    } else if (value && typeof value === 'object') {
      for (const [field, item] of Object.entries(value)) {
        // A flow's variables are named by the keys of its `vars`.
        if (key === 'vars') texts.add(field);
        visit(item, field);
      }
    }
  };
  for (const answer of answers) visit(answer, '');
  // Longest first, so that a sentence goes before the words inside it.
  return [...texts].sort((a, b) => b.length - a.length);
}

/** Every visible text of the page with the shop's texts taken out, one string a text node. */
async function pageTexts(page, shop) {
  return page.evaluate((own) => {
    // A shop's text is taken out where it stands as a whole, not inside another word.
    const escaped = own.map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const mine = new RegExp(`(?<![A-Za-z0-9_])(?:${escaped.join('|')})(?![A-Za-z0-9_])`, 'g');
    const without = (text) => text.replace(mine, ' ');
    const seen = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEXTAREA'].includes(parent.tagName)) continue;
      // A select's options are read when it is opened; anything else only when it is shown.
      const inSelect = parent.closest('select');
      if (!inSelect && !parent.checkVisibility({ checkVisibilityCSS: true })) continue;
      if (inSelect && !inSelect.checkVisibility({ checkVisibilityCSS: true })) continue;
      // What callers said, which the dashboard marks as theirs (`data-said`).
      if (parent.closest('[data-said]')) continue;
      // The canvas library's credit is its licence's, not the product's words.
      if (parent.closest('.react-flow__attribution')) continue;
      const text = without(node.textContent ?? '');
      if (text.trim()) seen.push(text.trim());
    }
    // What a person reads without it being text: placeholders, and fields' values.
    for (const field of document.querySelectorAll('input, textarea')) {
      if (!field.checkVisibility({ checkVisibilityCSS: true })) continue;
      const text = without(field.getAttribute('placeholder') ?? '');
      if (text.trim()) seen.push(text.trim());
    }
    return seen;
  }, shop);
}

/** The Latin words of three letters or more in `text` that are not allowed. */
export function latinWords(text) {
  // Addresses, e-mail addresses, paths, placeholders and time-zone names (Asia/Shanghai) are
  // values; names written in code (vars.order_id, unclear_words) are the flow's variables.
  const values = text
    .replace(/UTC[+-]\d{2}:\d{2}/g, 'UTC')
    .replace(/https?:\/\/\S+|[\w.+-]+@[\w.-]+|\S*\/\S*|\{\{[^}]*\}\}/g, ' ')
    .replace(/\b[A-Za-z]\w*(?:[._]\w+)+/g, ' ');
  return (values.match(/[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]/g) ?? [])
    .filter((word) => (word.match(/[A-Za-z]/g) ?? []).length >= 3)
    .filter((word) => !ALLOWED.has(word));
}

/** Sends a CSV file to the API as the shop's owner would. */
async function upload(server, path, csv) {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'text/csv' },
    body: csv,
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Runs the steps in `browser` against a server of its own with the demo's past calls. */
export async function chineseSteps({ browser, step }) {
  const server = await startServer({ history: true });
  const call = api(server);
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const { page, errors } = await watchedPage(context);
  try {
    const flows = await call('GET', '/flows');
    const drafts = await Promise.all(flows.map((flow) => call('GET', `/flows/${flow.id}`)));
    const bases = (await call('GET', '/knowledge-bases')).items;
    const entries = [];
    for (const base of bases) {
      let found = await call('GET', `/knowledge-bases/${encodeURIComponent(base.key)}/entries?limit=200`);
      entries.push(found.items);
      while (found.next_cursor) {
        found = await call('GET', `/knowledge-bases/${encodeURIComponent(base.key)}/entries?limit=200&cursor=${encodeURIComponent(found.next_cursor)}`);
        entries.push(found.items);
      }
    }
    // The calls the calls page lists first, whose transcripts the last step opens.
    const { calls } = await call('GET', '/calls?limit=100');
    const transcripts = await Promise.all(calls.map((found) => call('GET', `/calls/${found.id}`)));
    // A contact list filled from a sheet, and a number on the do-not-call list, as a shop has them.
    const contactList = await call('POST', '/contact-lists', { name: '会员' });
    await upload(server, `/contact-lists/${contactList.id}/import`,
      '手机,姓名,birthday,last_order,同意来源,同意时间\n138 0013 8000,张伟,1990-03-08,SO-1,门店登记,2026-01-02\n');
    await call('POST', '/do-not-call', { phone: '137 0013 7000', note: '客户来电要求' });
    const { contacts } = await call('GET', `/contact-lists/${contactList.id}/contacts`);
    // A survey campaign calling the list, started (with no phone account it waits, in words),
    // and a draft to change.
    const survey = flows.find((flow) => flow.name === 'satisfaction-survey');
    if (survey.published_version == null) await call('POST', `/flows/${survey.id}/publish`, { note: '发布' });
    const running = await call('POST', '/campaigns', { name: '双十一回访', flow_id: survey.id, list_id: contactList.id });
    await call('POST', `/campaigns/${running.id}/start`);
    const draftCampaign = await call('POST', '/campaigns', { name: '生日关怀', flow_id: survey.id, list_id: contactList.id });
    // The names people gave things; a `name` elsewhere (a flow's, an intent's) is a key.
    const keys = await call('GET', '/api-keys');
    const named = [bases, keys, await call('GET', '/widget-channels'), await call('GET', '/queues')];
    const shop = shopTexts(
      drafts, entries, transcripts, keys, await call('GET', '/users'),
      // Every group the page can list, over the demo's whole history.
      await call('GET', `/analytics/unheard?limit=500&from=${new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10)}`),
      { title: named.flat().map((thing) => thing.name) },
      // A contact's name and custom fields (named by the shop's sheet's headers) are its data.
      { title: contacts.flatMap((contact) => [contact.name, contact.consent_source, ...Object.entries(contact.fields).flat().map(String)]) },
    );
    const sweepOnce = async () =>
      (await pageTexts(page, shop)).flatMap((text) => latinWords(text).map((word) => `${word} in “${text.slice(0, 80)}”`));
    // The page as it settles: names that arrive by a later request (a queue's name on the
    // canvas) may replace a key for a moment; what stays after a few seconds is what counts.
    const sweep = async () => {
      let words = await sweepOnce();
      for (let tries = 0; words.length > 0 && tries < 10; tries += 1) {
        await page.waitForTimeout(500);
        words = await sweepOnce();
      }
      return words;
    };

    await step(page, 'chinese-01-sign-in', async () => {
      await page.goto(server.url);
      await page.getByTestId('login-email').fill(server.email);
      await page.getByTestId('login-password').fill(server.password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('flow-list').waitFor();
    });

    const zhFlow = flows.find((flow) => /[\u4e00-\u9fff]/.test(flow.title ?? '')) ?? flows[0];
    const base = bases[0];
    const editorPages = [
      ['flows', '#/', 'flow-list'],
      ['editor', `#/flows/${encodeURIComponent(zhFlow.id)}`, 'flow-title'],
      ['knowledge', '#/knowledge', 'kb-row'],
      ['knowledge-base', `#/knowledge/${encodeURIComponent(base.key)}`, 'kb-revision'],
      ['widget', '#/widget', 'widget-page'],
      ['privacy', '#/privacy', null],
      ['contacts', '#/contacts', 'contact-list-row'],
      ['contact-list', `#/contacts/${encodeURIComponent(contactList.id)}`, 'contact-row'],
      ['do-not-call', '#/do-not-call', 'dnc-row'],
      ['campaigns', '#/campaigns', 'campaign-row'],
      ['campaign', `#/campaigns/${encodeURIComponent(running.id)}`, 'campaign-contact'],
      ['campaign-new', '#/campaigns/new', 'campaign-form'],
      ['campaign-edit', `#/campaigns/${encodeURIComponent(draftCampaign.id)}/edit`, 'campaign-form'],
      ...['profile', 'telephony', 'numbers', 'voice', 'usage'].map((tab) => [`settings-${tab}`, `#/settings/${tab}`, null]),
      ['people', '#/people', null],
      ['api-keys', '#/api-keys', null],
      ['audit', '#/audit', 'audit-row'],
    ];
    let n = 2;
    for (const [name, href, ready] of editorPages) {
      await step(page, `chinese-${String(n++).padStart(2, '0')}-${name}`, async () => {
        await page.goto(`${server.url}/${href}`);
        if (ready) await page.getByTestId(ready).first().waitFor({ timeout: TIMEOUT });
        await page.waitForLoadState('networkidle');
        await page.waitForFunction(() => !document.body.innerText.includes('加载中'), null, { timeout: TIMEOUT });
        const words = await sweep();
        check(words.length === 0, `no English on ${href}: ${words.join(' | ')}`);
      });
    }

    const dashboardPages = [
      ['dashboard', '/dashboard'],
      ['dashboard-calls', '/dashboard/calls'],
      ['dashboard-unheard', '/dashboard/unheard'],
      ['dashboard-knowledge', '/dashboard/knowledge'],
      ['dashboard-results', '/dashboard/results'],
      ['dashboard-campaigns', '/dashboard/campaigns'],
      ['console', '/console'],
    ];
    for (const [name, path] of dashboardPages) {
      await step(page, `chinese-${String(n++).padStart(2, '0')}-${name}`, async () => {
        await page.goto(`${server.url}${path}`);
        await page.waitForLoadState('networkidle');
        const words = await sweep();
        check(words.length === 0, `no English on ${path}: ${words.join(' | ')}`);
      });
    }

    await step(page, `chinese-${String(n++).padStart(2, '0')}-transcript`, async () => {
      await page.goto(`${server.url}/dashboard/calls`);
      const first = page.getByTestId('call-link').first();
      await first.click();
      await page.waitForURL(/\/dashboard\/calls\/[^/?]+$/);
      const words = await sweep();
      check(words.length === 0, `no English in a transcript: ${words.join(' | ')}`);
    });

    check(errors.length === 0, `the pages logged errors: ${errors.map(String).join('; ')}`);
  } finally {
    await context.close();
    await server.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('chinese', chineseSteps, { width: 1366, height: 768 });
}

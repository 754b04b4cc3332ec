// The end-to-end harness: a real `callflow serve` on a fresh data directory and a free port, and
// Debian's Chromium driven by playwright-core. Used by the end-to-end suite (run.mjs) and the
// editor benchmark (bench.mjs).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..');
export const artifacts = join(here, 'artifacts');
export const CHROMIUM = process.env.CALLFLOW_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
];

/**
 * A binary of the workspace (`callflow`, or a test tool such as `faketwilio`): `CALLFLOW_BIN`
 * for `callflow`, else the debug build, else the release build.
 */
export function binary(name = 'callflow') {
  const candidates = [
    name === 'callflow' ? process.env.CALLFLOW_BIN : undefined,
    join(repo, 'target', 'debug', name),
    join(repo, 'target', 'release', name),
  ].filter(Boolean);
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(`no ${name} binary (tried ${candidates.join(', ')}); run \`cargo build --workspace --bins\` first`);
  }
  return found;
}

/**
 * Starts `callflow serve` on 127.0.0.1 with a new SQLite data directory. Resolves with
 * { url, email, password, apiKey, stop() } once the first run has printed its credentials.
 * The demo tenant's two weeks of past calls are left out (the steps count their own calls)
 * unless `history` is set. `env` adds to the server's environment (e.g. where Twilio is).
 */
export async function startServer({ history = false, env = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-e2e-'));
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir];
  if (!history) args.push('--without-demo-history');
  const child = spawn(binary(), args, {
    env: { ...process.env, DATABASE_URL: '', RUST_LOG: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server did not start in 60 s:\n${output}`)),
      60_000,
    );
    const onData = (chunk) => {
      output += chunk.toString();
      const match = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match && existsSync(join(dataDir, 'first-run.txt'))) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${output}`));
    });
  });
  // The credentials file is written before the address is printed.
  const credentials = readFileSync(join(dataDir, 'first-run.txt'), 'utf8');
  const field = (label) => {
    const match = credentials.match(new RegExp(`${label}:\\s+(\\S+)`));
    if (!match) throw new Error(`no ${label} in first-run.txt:\n${credentials}`);
    return match[1];
  };
  return {
    url,
    email: field('Email'),
    password: field('Password'),
    apiKey: field('API key'),
    async stop() {
      child.removeAllListeners('exit');
      child.kill('SIGTERM');
      await new Promise((done) => {
        if (child.exitCode !== null) done();
        else child.once('exit', done);
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Debian's Chromium through playwright-core. Without it the suite is skipped with a notice,
 * except under CI=true, where that is a failure.
 */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    const message = `Chromium is not at ${CHROMIUM} (apt-get install chromium)`;
    if (process.env.CI === 'true') throw new Error(`${message}; it is required under CI=true`);
    console.warn(`!!!!!!!! SKIPPING the browser tests: ${message}; under CI=true this fails`);
    return null;
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A small JSON client for setting up data through the API, with the first run's key. */
export function api(server) {
  return async (method, path, body) => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    }
    return json;
  };
}

/**
 * The API as the demo owner signed in (a session, not a key): what only people may do, such as
 * taking a conversation from a queue.
 */
export async function signedIn(server) {
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: server.email, password: server.password }),
  });
  if (!login.ok) throw new Error(`sign-in: ${login.status}`);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const { csrf_token: csrf } = await login.json();
  return async (method, path, body) => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrf,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

export function ensureArtifacts() {
  mkdirSync(artifacts, { recursive: true });
  return artifacts;
}

export const TIMEOUT = 15_000;

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export async function shot(page, name) {
  await page.screenshot({ path: join(ensureArtifacts(), `${name}.png`), fullPage: true });
}

/**
 * Named steps that screenshot the page after they pass (and when they fail, as
 * `FAILED-<name>`), collecting their outcome in `results`.
 */
export function stepper(results) {
  return async function step(page, name, body) {
    const started = Date.now();
    try {
      await body();
      await shot(page, name);
      results.push({ name, ok: true, ms: Date.now() - started });
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      await shot(page, `FAILED-${name}`).catch(() => {});
      results.push({ name, ok: false, error });
      console.log(`FAIL ${name}\n     ${String(error.stack ?? error).split('\n').join('\n     ')}`);
      throw error;
    }
  };
}

/** A browser page that collects what the page logs as errors, except the expected 401s. */
export async function watchedPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  page.on('console', (message) => {
    // Signing in with a wrong password, and the check for a session before signing in, are
    // answered 401 on purpose; Chromium logs every failed request.
    const expected = /status of 401/.test(message.text());
    if (message.type() === 'error' && !expected) errors.push(new Error(message.text()));
  });
  return { page, errors };
}

/**
 * A new browser context at `viewport`, signed in (as the demo owner, or as `login`), on the
 * flow list, in `lang` (the language switch is used when the browser's locale does not
 * decide it). Resolves with { context, page, errors }.
 */
export async function signedInPage(browser, server, { lang = 'zh-CN', viewport, login = server }) {
  const context = await browser.newContext({ viewport, locale: lang, acceptDownloads: true });
  const { page, errors } = await watchedPage(context);
  await page.goto(server.url);
  await page.getByTestId('login-email').fill(login.email);
  await page.getByTestId('login-password').fill(login.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('flow-list').waitFor();
  if (lang === 'en' && (await page.getByTestId('lang-switch').getAttribute('data-lang')) !== 'en') {
    await page.getByTestId('lang-switch').click();
  }
  return { context, page, errors };
}

/**
 * Runs one module's steps alone, as `node e2e/<module>.mjs` does: a fresh server, the demo
 * owner signed in on a Chinese page, `steps({ browser, page, server, step })`, and the tally.
 * Exits non-zero when a step failed or the page logged an error.
 */
export async function runAlone(name, steps, viewport = { width: 1400, height: 900 }) {
  rmSync(artifacts, { recursive: true, force: true });
  const results = [];
  const step = stepper(results);
  const server = await startServer();
  const browser = await launchBrowser();
  let logged = [];
  try {
    if (browser) {
      const context = await browser.newContext({ viewport, locale: 'zh-CN' });
      const { page, errors } = await watchedPage(context);
      logged = errors;
      await page.goto(server.url);
      await page.getByTestId('login-email').fill(server.email);
      await page.getByTestId('login-password').fill(server.password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('flow-list').waitFor();
      await steps({ browser, page, server, step });
    }
  } catch (error) {
    console.error(`${name} end-to-end steps failed: ${error.message ?? error}`);
  } finally {
    await browser?.close();
    await server.stop();
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`\n${results.length - failed} passed, ${failed} failed; screenshots in e2e/artifacts/`);
  if (logged.length) console.error(`the page logged errors: ${logged.map(String).join('; ')}`);
  process.exit(failed || logged.length ? 1 : 0);
}

/**
 * Runs alone one module that starts its own server (`steps({ browser, step })`), as
 * `node e2e/<module>.mjs` does, and exits non-zero when a step failed, or, under CI=true,
 * when there is no browser.
 */
export async function runWithOwnServer(name, steps) {
  rmSync(artifacts, { recursive: true, force: true });
  const results = [];
  const browser = await launchBrowser();
  let failed = !browser && process.env.CI === 'true';
  try {
    if (browser) await steps({ browser, step: stepper(results) });
  } catch (error) {
    failed = true;
    console.error(`${name} end-to-end steps failed: ${error.message ?? error}`);
  } finally {
    await browser?.close();
  }
  const bad = results.filter((result) => !result.ok).length;
  console.log(`\n${results.length - bad} passed, ${bad} failed; screenshots in e2e/artifacts/`);
  if (failed || bad > 0) process.exit(1);
}

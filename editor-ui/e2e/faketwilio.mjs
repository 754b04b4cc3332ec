// The fake Twilio (tests/src/bin/faketwilio.rs) as a child process: Twilio's REST API on
// 127.0.0.1 that places outbound calls to the server's webhooks and answers them as a script
// says, reporting each call once it has ended.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binary } from './harness.mjs';

/**
 * Starts the fake for `script` ({ account_sid, auth_token, answers: { "+86…": { answer, steps } } }).
 * Resolves with { url, ended, endedTo(number, timeout), close() }: `ended` fills with one
 * { to, from, status, answered_by, heard } per outbound call that has ended.
 */
export async function fakeTwilio(script) {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-faketwilio-'));
  const file = join(dir, 'script.json');
  writeFileSync(file, JSON.stringify(script));
  // Its standard input stays open while the test runs: the fake exits when it closes.
  const child = spawn(binary('faketwilio'), ['--script', file], { stdio: ['pipe', 'pipe', 'pipe'] });
  const ended = [];
  let output = '';
  let pending = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the fake Twilio did not start in 20 s:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        output += `${line}\n`;
        const listening = line.match(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/);
        if (listening) {
          clearTimeout(timer);
          resolveUrl(listening[1]);
        } else if (line.startsWith('{')) {
          ended.push(JSON.parse(line));
        }
      }
    });
    child.stderr.on('data', (chunk) => (output += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the fake Twilio exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    ended,
    /** Waits until a call to `to` has ended, and returns it. */
    async endedTo(to, timeout = 30_000) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const call = ended.find((found) => found.to === to);
        if (call) return call;
        if (Date.now() > deadline) throw new Error(`no call to ${to} ended in ${timeout} ms; ended: ${JSON.stringify(ended)}`);
        await new Promise((done) => setTimeout(done, 100));
      }
    },
    async close() {
      child.removeAllListeners('exit');
      child.stdin.end();
      await new Promise((done) => {
        if (child.exitCode !== null) done();
        else child.once('exit', done);
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

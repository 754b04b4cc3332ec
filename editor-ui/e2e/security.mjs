// End-to-end steps of what keeps the service safe, as people meet it: someone guessing a
// password on the Chinese sign-in page is stopped after five tries with a message in Chinese
// that says how long to wait; the API documentation page still works under its content
// security policy (no script, style or image refused).
// Part of the suite in run.mjs; alone (from editor-ui/): node e2e/security.mjs

import { fileURLToPath } from 'node:url';
import { check, runAlone } from './harness.mjs';

/** Runs the steps in pages of their own (their refusals are expected; `page` is not used). */
export async function securitySteps({ browser, server, step }) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const page = await context.newPage();
  try {
    await step(page, 'security-01-guessing-a-password-is-stopped-in-chinese', async () => {
      await page.goto(server.url);
      await page.getByTestId('login-email').waitFor();
      // An account nobody has is counted like one that exists: the refusal tells a guesser nothing.
      await page.getByTestId('login-email').fill('guess@demo.callflow.test');
      const tryPassword = async (password) => {
        await page.getByTestId('login-password').fill(password);
        const [answer] = await Promise.all([
          page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login')),
          page.getByTestId('login-submit').click(),
        ]);
        return answer.status();
      };
      for (let attempt = 0; attempt < 5; attempt++) {
        const status = await tryPassword(`guess ${attempt}`);
        check(status === 401, `attempt ${attempt} is answered 401, not ${status}`);
        await page.getByTestId('error-alert').filter({ hasText: '邮箱或密码不正确' }).waitFor();
      }
      const status = await tryPassword('guess 5');
      check(status === 429, `the sixth try is refused with 429, not ${status}`);
      const alert = page.getByTestId('error-alert').filter({ hasText: '登录失败次数过多' });
      await alert.waitFor();
      const text = await alert.textContent();
      check(/请 1[45] 分钟后再试/.test(text), `the wait is said in minutes: ${text}`);
      check(!/[A-Za-z]{4,}/.test(text.replace(/错误代码：[a-z_]+/, '')), `no English in the Chinese message: ${text}`);
    });

    await step(page, 'security-02-the-api-docs-work-under-their-policy', async () => {
      const refused = [];
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) refused.push(message.text());
      });
      const response = await page.goto(`${server.url}/docs/`);
      const policy = response.headers()['content-security-policy'] ?? '';
      check(policy.includes("frame-ancestors 'none'"), `the docs page has a policy: ${policy}`);
      await page.locator('.swagger-ui .info .title').waitFor();
      await page.locator('.opblock-tag').first().waitFor();
      const tags = await page.locator('.opblock-tag').count();
      check(tags >= 5, `the operations are listed by tag: ${tags}`);
      check(refused.length === 0, `the policy refused nothing: ${refused.join(' | ')}`);
    });
  } finally {
    await context.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone('security', securitySteps);
}

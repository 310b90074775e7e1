/** A UI session over supertest: its cookie and CSRF token, as a browser holds them, and held calls. */
import request from 'supertest';
import { expect } from 'vitest';
import { waitUntil } from './process.js';

export type App = Parameters<typeof request>[0];

/** The session cookie a response sets (`mcpgw_session=…`) and the rest of its attributes. */
export function sessionCookieOf(res: request.Response): { pair: string; attributes: string } {
  const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((line) => line.startsWith('mcpgw_session='));
  expect(header, 'a session cookie is set').toBeDefined();
  const [pair, ...attributes] = header!.split(';');
  return { pair: pair!, attributes: attributes.join(';') };
}

/** The CSRF token a page carries (in `hx-headers` on <body>). */
export function csrfOf(html: string): string {
  const match = html.match(/X-CSRF-Token&quot;:&quot;([^&]+)&quot;/);
  expect(match, 'the page carries a CSRF token').not.toBeNull();
  return match![1]!;
}

/** Signs in with `key` and opens `page`: the session cookie and the CSRF token of its pages. */
export async function signIn(app: App, key: string, page = '/'): Promise<{ cookie: string; csrf: string }> {
  const login = await request(app).post('/ui/login').type('form').send({ key, next: page });
  expect(login.status).toBe(303);
  const cookie = sessionCookieOf(login).pair;
  const res = await request(app).get(page).set('Cookie', cookie).set('Accept', 'text/html');
  expect(res.status).toBe(200);
  return { cookie, csrf: csrfOf(res.text) };
}

/** Waits until `count` approvals are pending (read with `key`); returns them, newest first. */
export async function pendingApprovals(app: App, key: string, count = 1): Promise<Record<string, string>[]> {
  return waitUntil(
    async () => {
      const res = await request(app).get('/api/approvals?state=pending').set('Authorization', `Bearer ${key}`);
      return res.body.items?.length >= count ? res.body.items : undefined;
    },
    10_000,
    `${count} pending approvals`,
  );
}

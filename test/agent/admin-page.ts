/**
 * An admin web page from a real server process: logs in through the /login form (its CSRF cookie
 * and field, from the server's own origin), then GETs the page with the session cookie.
 */
import { ADMIN } from '../support/harness.js';

const cookiesOf = (res: Response): string[] => res.headers.getSetCookie().map((c) => c.split(';')[0]!);

export async function adminPage(url: string, path: string, token = ADMIN): Promise<string> {
  const form = await fetch(`${url}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error('no CSRF field on /login');
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(form).join('; '), origin: url },
    body: new URLSearchParams({ token, _csrf: csrf, next: '/' }).toString(),
  });
  if (login.status !== 303) throw new Error(`login answered ${login.status}`);
  const page = await fetch(`${url}${path}`, { headers: { cookie: cookiesOf(login).join('; ') }, redirect: 'manual' });
  if (page.status !== 200) throw new Error(`${path} answered ${page.status}`);
  return page.text();
}

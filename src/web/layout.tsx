/**
 * The page frame: header with navigation (and the operator and logout once logged in), the
 * stylesheet and the one script. `csrf` goes into a meta tag the script sends back on changes.
 */
import type { Child } from 'hono/jsx';
import type { Session } from '../http/session.js';

export interface PageProps {
  title: string;
  session: Session | null;
  children?: Child;
}

export function Layout({ title, session, children }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {session ? <meta name="csrf" content={session.csrf} /> : null}
        <title>{`${title} · HydraCluster`}</title>
        <link rel="stylesheet" href="/static/app.css" />
        <script src="/static/app.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href={session ? '/' : '/enroll'}>HydraCluster</a>
          {session ? (
            <>
              <a href="/">Nodes</a>
              <a href="/heads">Heads</a>
              <a href="/enroll">Enroll</a>
              <a href="/debug">Debug</a>
              <span class="muted" id="operator">{session.operator}</span>
              <form method="post" action="/logout">
                <input type="hidden" name="_csrf" value={session.csrf} />
                <button class="secondary" type="submit">Log out</button>
              </form>
            </>
          ) : (
            <>
              <a href="/enroll">Enroll</a>
              <a href="/login">Log in</a>
            </>
          )}
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}

/** "12 s ago", "4 min ago", "3 h ago", "2 d ago"; "never" for null. */
export function ago(iso: string | null, nowMs: number): string {
  if (iso === null) return 'never';
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export const dash = (v: string | null | undefined): string => (v === null || v === undefined || v === '' ? '—' : v);

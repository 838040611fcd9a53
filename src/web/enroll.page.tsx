/**
 * /enroll (public): the Windows/Linux tab (default) with the form that posts to
 * /api/v1/enrollments and shows the install commands, and the recovery steps; the iPad tab
 * (`?tab=ipad`, admin session) with the enrollment QR as inline SVG.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { raw } from 'hono/html';
import type { RouteDeps } from '../http/deps.js';
import { isLoopbackUrl } from '../wire/constants.js';
import { Layout } from './layout.js';
import { enrollQrJson, qrSvg } from './qr.js';
import { page } from './render.js';
import { sessionOf, type Session, type SessionStore } from '../http/session.js';
import type { WebEnv } from './web-env.js';

function Tabs({ on }: { on: 'pc' | 'ipad' }) {
  return (
    <nav class="tabs">
      <a href="/enroll" class={on === 'pc' ? 'on' : ''}>Windows / Linux</a>
      <a href="/enroll?tab=ipad" class={on === 'ipad' ? 'on' : ''}>iPad</a>
    </nav>
  );
}

export function Command({ id, label }: { id: string; label: string }) {
  return (
    <>
      <h2>{label}</h2>
      <pre><code id={id}></code></pre>
      <button type="button" class="secondary" data-copy={id}>Copy</button>
    </>
  );
}

/** Where an enrollment's install commands are shown once issued (the enrollment and re-enroll forms fill it). */
export function InstallCommands() {
  return (
    <div id="install" hidden>
      <p>Node <code id="node-id"></code>. The token in these commands works once and expires at <strong id="expires"></strong>.</p>
      <Command id="cmd-powershell" label="Windows (PowerShell, as Administrator)" />
      <Command id="cmd-bash" label="Linux (bash, as root)" />
    </div>
  );
}

/** docs/api.md#exec: commands and QR codes carry public_url; a loopback one reaches only this machine. */
function LoopbackWarning({ url }: { url: string }) {
  if (!isLoopbackUrl(url)) return null;
  return (
    <p class="warn" id="loopback-warning">
      The server's <code>public_url</code> is <code>{url}</code>, a loopback address: the install commands and the iPad QR only work on the server's own machine. Set <code>server.public_url</code> in config.yaml to an address the nodes reach (then <code>hydracluster reload</code>).
    </p>
  );
}

function Recovery({ url }: { url: string }) {
  return (
    <section class="card" id="recovery">
      <h2>Recovery (node agent down)</h2>
      <p>If a node is offline (its agent is not heartbeating), on that machine (server {url}):</p>
      <h3>Windows (PowerShell, as Administrator)</h3>
      <pre><code>{`# Check the scheduled task\nschtasks /query /tn HydraNode\n\n# Start it\nschtasks /run /tn HydraNode\n\n# If the task is missing (C:\\hydranode\\hydranode.exe and its config are there): reinstall the task\nC:\\hydranode\\hydranode.exe install\n\n# If the program or its config is gone: re-enroll the node (its page's Re-enroll button,\n# or hydracluster nodes reenroll ID) and run the PowerShell command it gives: same node, same roles\n\n# The agent's log\nGet-Content -Tail 50 "$env:SystemRoot\\System32\\config\\systemprofile\\.hydranode\\hydranode.log"`}</code></pre>
      <h3>Linux (as root)</h3>
      <pre><code>{`# Check the service\nsystemctl status hydranode\n\n# Start it\nsystemctl restart hydranode\n\n# If the unit is missing (/usr/local/bin/hydranode and its config are there): reinstall it\n/usr/local/bin/hydranode install\n\n# If the program or its config is gone: re-enroll the node (its page's Re-enroll button,\n# or hydracluster nodes reenroll ID) and run the bash command it gives: same node, same roles\n\n# The agent's log\njournalctl -u hydranode`}</code></pre>
    </section>
  );
}

function PcTab({ url, session }: { url: string; session: Session | null }) {
  return (
    <Layout title="Enroll" session={session}>
      <h1>Enroll a machine</h1>
      <LoopbackWarning url={url} />
      <Tabs on="pc" />
      <section class="card">
        <form data-api="/api/v1/enrollments" data-method="POST" data-after="enrollment" data-done="Enrollment created">
          <label for="name">Name</label>
          <input id="name" name="name" required maxlength={64} placeholder="render-07" />
          <label for="owner">Owner</label>
          <input id="owner" name="owner" maxlength={128} placeholder="who looks after it" />
          <label for="os">Operating system</label>
          <select id="os" name="os">
            <option value="windows">Windows</option>
            <option value="linux">Linux</option>
          </select>
          <div>
            <button type="submit">Create enrollment</button>
          </div>
          <p data-out role="status"></p>
        </form>
        <InstallCommands />
      </section>
      <Recovery url={url} />
    </Layout>
  );
}

export function enrollPage(d: RouteDeps, store: SessionStore, admin: MiddlewareHandler<WebEnv>): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  // The iPad tab needs the admin session (needSession answers 303 to /login without one).
  app.get('/enroll', async (c, next) => (c.req.query('tab') === 'ipad' ? admin(c, next) : next()), async (c) => {
    if (c.req.query('tab') !== 'ipad') return page(c, <PcTab url={d.config.server.public_url} session={sessionOf(c, store)} />);
    const svg = await qrSvg(enrollQrJson(d.config.server));
    return page(
      c,
      <Layout title="Enroll an iPad" session={c.get('session')}>
        <h1>Enroll an iPad</h1>
        <LoopbackWarning url={d.config.server.public_url} />
        <Tabs on="ipad" />
        <section class="card">
          <p>Scan this code with the HydraHead app on the iPad. It carries the fleet enrollment token: do not share it.</p>
          <div class="qr" id="enroll-qr">{raw(svg)}</div>
        </section>
      </Layout>,
    );
  });
  return app;
}

/**
 * The install commands an enrollment answers with (docs/api.md#agents-heartbeat-flags-and-the-provision-poll, docs/operations.md#agent-distribution), for a bare machine:
 * - PowerShell (as Administrator): download the agent to C:\hydranode\hydranode.exe, check its
 *   SHA-256, run `hydranode.exe install` (which registers and installs the scheduled task).
 * - bash (as root): the same with curl and sha256sum to /usr/local/bin/hydranode.
 * The file and its SHA-256 come from the release manifest at the moment the command is made, so a
 * later release (earlier files stay in place) never breaks a command already handed out.
 * `server.agent_downloads.<os>`: "" = this server's /downloads/, "none" = already installed (no
 * download), else a URL to download from (no SHA-256 is known for it: none is checked).
 * Each command is one line that stops at the first failing step and never closes the operator's shell.
 */
import type { Config } from '../config.js';
import { fileFor, type ReleaseManifest, type ReleasePlatform } from '../wire/release.js';
import { psQuote, shQuote } from '../quote.js';

const shq = shQuote;
const psq = psQuote; // every PowerShell quote character doubled, U+2018–U+201B too

const WIN_DIR = 'C:\\hydranode';
const WIN_EXE = `${WIN_DIR}\\hydranode.exe`;
const LINUX_BIN = '/usr/local/bin/hydranode';

/** Where the command gets the agent from. */
type Source = { kind: 'none' } | { kind: 'download'; url: string; sha256: string | null } | { kind: 'missing'; why: string };

function sourceFor(setting: string, os: 'windows' | 'linux', platform: ReleasePlatform, publicUrl: string, manifest: ReleaseManifest | null): Source {
  if (setting === 'none') return { kind: 'none' };
  if (setting !== '') return { kind: 'download', url: setting, sha256: null };
  const file = manifest && fileFor(manifest, platform);
  if (!file) {
    const why = manifest ? `its release ${manifest.version} has no ${platform} file` : 'it has no release manifest';
    return { kind: 'missing', why: `this server cannot hand out the agent for ${os} (${why}): run npm run build:agent on the server, or set server.agent_downloads.${os}` };
  }
  return { kind: 'download', url: `${publicUrl.replace(/\/+$/, '')}/downloads/${encodeURIComponent(file.name)}`, sha256: file.sha256 };
}

function powershell(src: Source, register: string): string {
  if (src.kind === 'missing') return `throw ${psq(`hydracluster: ${src.why}`)}`;
  const install = `& ${psq(WIN_EXE)} install ${register}; if ($LASTEXITCODE -ne 0) { throw "hydranode install failed (exit $LASTEXITCODE)" }`;
  if (src.kind === 'none') return `${install}`;
  const tmp = `${WIN_EXE}.download`;
  return [
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    '[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor 3072',
    `New-Item -ItemType Directory -Force -Path ${psq(WIN_DIR)} | Out-Null`,
    `Invoke-WebRequest -UseBasicParsing -Uri ${psq(src.url)} -OutFile ${psq(tmp)}`,
    ...(src.sha256
      ? [`if ((Get-FileHash -Algorithm SHA256 -LiteralPath ${psq(tmp)}).Hash -ne ${psq(src.sha256)}) { throw ${psq(`hydranode.exe: SHA-256 does not match ${src.sha256}: not installed`)} }`]
      : []),
    // A running hydranode.exe cannot be replaced, but it can be renamed.
    `if (Test-Path -LiteralPath ${psq(WIN_EXE)}) { Move-Item -Force -LiteralPath ${psq(WIN_EXE)} -Destination ${psq(`${WIN_DIR}\\hydranode.old.exe`)} }`,
    `Move-Item -Force -LiteralPath ${psq(tmp)} -Destination ${psq(WIN_EXE)}`,
    install,
  ].join('; ');
}

function bash(src: Source, register: string): string {
  if (src.kind === 'missing') return `echo ${shq(`hydracluster: ${src.why}`)} >&2 && false`;
  if (src.kind === 'none') return `hydranode install ${register}`;
  const tmp = `${LINUX_BIN}.download`;
  return [
    'mkdir -p /usr/local/bin',
    `curl -fsSL ${shq(src.url)} -o ${tmp}`,
    ...(src.sha256 ? [`echo ${shq(`${src.sha256}  ${tmp}`)} | sha256sum -c --quiet -`] : []),
    `chmod 755 ${tmp}`,
    `mv -f ${tmp} ${LINUX_BIN}`,
    `${LINUX_BIN} install ${register}`,
  ].join(' && ');
}

/** What a macOS enrollment's command says: there is no build to fetch, and what the Mac needs instead. */
function macos(url: string, token: string): string {
  const text =
    'hydracluster: there is no macOS build of hydranode yet, so nothing was downloaded. On this Mac: install Node.js 20.12 or later, ' +
    'clone hydracluster and run npm ci in it, then run ' +
    `node dist/src/agent/main.js install --server ${url} --enroll-token ${token} --no-service ` +
    'and keep node dist/src/agent/main.js run running (for example as a launchd agent).';
  return `echo ${shq(text)} >&2 && false`;
}

/** The install commands for one enrollment token. */
export function installCommands(cfg: Config['server'], token: string, opts: { manifest: ReleaseManifest | null; os?: string | null }): { powershell: string; bash: string } {
  const url = cfg.public_url;
  const win = sourceFor(cfg.agent_downloads.windows, 'windows', 'windows-amd64', url, opts.manifest);
  const lin = sourceFor(cfg.agent_downloads.linux, 'linux', 'linux-amd64', url, opts.manifest);
  return {
    powershell: powershell(win, `--server ${psq(url)} --enroll-token ${psq(token)}`),
    bash: opts.os === 'macos' ? macos(url, token) : bash(lin, `--server ${shq(url)} --enroll-token ${shq(token)}`),
  };
}

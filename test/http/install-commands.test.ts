import { describe, expect, it } from 'vitest';
import { installCommands } from '../../src/http/install-commands.js';
import { testConfig } from '../support/harness.js';

const SHA_L = 'a'.repeat(64);
const SHA_W = 'b'.repeat(64);
const manifest = {
  version: '1.2.3',
  files: [
    { platform: 'linux-amd64', name: 'hydranode-1.2.3-linux-amd64', size: 10, sha256: SHA_L },
    { platform: 'windows-amd64', name: 'hydranode-1.2.3-windows-amd64.exe', size: 10, sha256: SHA_W },
  ],
};
const server = (downloads: { windows?: string; linux?: string } = {}) =>
  testConfig((doc) => {
    doc.server.public_url = 'http://hc.example:8080';
    doc.server.agent_downloads = { windows: '', linux: '', ...downloads };
  }).server;

describe('install commands (docs/api.md#agents-heartbeat-flags-and-the-provision-poll, docs/operations.md#agent-distribution)', () => {
  it('when the server has a release, then bash downloads it from /downloads, checks its SHA-256 and runs hydranode install', () => {
    const { bash } = installCommands(server(), 'hce_tok', { manifest, os: 'linux' });
    expect(bash).toBe(
      "mkdir -p /usr/local/bin && curl -fsSL 'http://hc.example:8080/downloads/hydranode-1.2.3-linux-amd64' -o /usr/local/bin/hydranode.download" +
        ` && echo '${SHA_L}  /usr/local/bin/hydranode.download' | sha256sum -c --quiet - && chmod 755 /usr/local/bin/hydranode.download` +
        " && mv -f /usr/local/bin/hydranode.download /usr/local/bin/hydranode && /usr/local/bin/hydranode install --server 'http://hc.example:8080' --enroll-token 'hce_tok'",
    );
  });

  it('when the server has a release, then PowerShell downloads to C:\\hydranode, compares the SHA-256 before anything runs, and runs install', () => {
    const { powershell } = installCommands(server(), "hce_t'ok", { manifest, os: 'windows' });
    const steps = powershell.split('; ');
    const at = (text: string) => steps.findIndex((s) => s.includes(text));
    expect(steps[0]).toBe("$ErrorActionPreference = 'Stop'");
    expect(powershell).toContain("Invoke-WebRequest -UseBasicParsing -Uri 'http://hc.example:8080/downloads/hydranode-1.2.3-windows-amd64.exe' -OutFile 'C:\\hydranode\\hydranode.exe.download'");
    expect(powershell).toContain(`(Get-FileHash -Algorithm SHA256 -LiteralPath 'C:\\hydranode\\hydranode.exe.download').Hash -ne '${SHA_W}'`);
    expect(at('Get-FileHash')).toBeLessThan(at("-Destination 'C:\\hydranode\\hydranode.exe'"));
    expect(at("-Destination 'C:\\hydranode\\hydranode.exe'")).toBeLessThan(at('install --server'));
    expect(powershell).toContain("& 'C:\\hydranode\\hydranode.exe' install --server 'http://hc.example:8080' --enroll-token 'hce_t''ok'");
    expect(powershell).toContain('if ($LASTEXITCODE -ne 0) { throw');
  });

  it('when agent_downloads is "none", then nothing is downloaded; when it is a URL, that URL is fetched with no checksum of ours', () => {
    const none = installCommands(server({ windows: 'none', linux: 'none' }), 't', { manifest });
    expect(none.bash).toBe("hydranode install --server 'http://hc.example:8080' --enroll-token 't'");
    expect(none.powershell).not.toContain('Invoke-WebRequest');
    const url = installCommands(server({ linux: 'https://rel.example/hn' }), 't', { manifest: null });
    expect(url.bash).toContain("curl -fsSL 'https://rel.example/hn'");
    expect(url.bash).not.toContain('sha256sum');
  });

  it('when the server has no release, then the commands say so and fail before doing anything', () => {
    const c = installCommands(server(), 't', { manifest: null });
    expect(c.bash).toMatch(/^echo 'hydracluster: this server cannot hand out the agent for linux \(it has no release manifest\): run npm run build:agent .*' >&2 && false$/);
    expect(c.powershell).toMatch(/^throw 'hydracluster: this server cannot hand out the agent for windows/);
    const linuxOnly = installCommands(server(), 't', { manifest: { version: '1.2.3', files: [manifest.files[0]!] } });
    expect(linuxOnly.powershell).toContain('its release 1.2.3 has no windows-amd64 file');
  });

  it('when the enrollment is for macOS, then bash says plainly there is no build and fetches nothing', () => {
    const { bash } = installCommands(server(), 't', { manifest, os: 'macos' });
    expect(bash).toContain('there is no macOS build of hydranode yet');
    expect(bash).not.toContain('curl');
    expect(bash.endsWith('>&2 && false')).toBe(true);
  });
});

describe('server.agent_downloads values', () => {
  it('when a value is neither "", "none" nor an http(s) URL, then the config is refused naming the key', () => {
    expect(() => server({ windows: 'C:\\share\\hydranode.exe' })).toThrow(/agent_downloads\.windows: must be "" \(this server's \/downloads\/\), "none" \(already installed\) or an http\(s\) URL/);
    expect(server({ windows: 'none', linux: 'https://rel.example/hn' }).agent_downloads).toEqual({ windows: 'none', linux: 'https://rel.example/hn' });
  });
});

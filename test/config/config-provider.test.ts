/**
 * A role's provider keys in config.yaml (docs/api.md#providers): the runbook's render-node entry is accepted
 * as written; every refusal names its key; the first config's roles name nothing to install.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfigDocument, parseConfig } from '../../src/config.js';
import { installDirProblem } from '../../src/config-provider.js';

const ADMIN = 'hca_config-test-admin-0123456789abcdef';
const FLEET = 'hcf_config-test-fleet-0123456789abcdef';
const SHA = 'AB'.repeat(32);

/** The runbook's render-node entry, with `change` applied. */
function renderNode(change: (r: Record<string, any>) => void = () => {}) {
  const role: Record<string, any> = {
    description: 'LarkXR Standalone render node',
    provider: 'larkxr',
    package: { url: '/downloads/larkxr-standalone-4.1.0.zip', sha256: SHA, version: '4.1.0' },
    install_dir: 'C:\\LarkXR\\larkxr-standalone',
    start: 'start.bat',
    stop: { processes: ['LarkXRLauncher', 'LarkXRServer', 'CloudLarkRenderServer', 'java', 'mysqld', 'nginx', 'redis-server'] },
    health: { ports: [8181, 8282, 13306], processes: [] },
  };
  change(role);
  return { server: { admin_token: ADMIN, fleet_enrollment_token: FLEET }, roles: { 'render-node': role } };
}

function refusal(d: unknown): string {
  try {
    parseConfig(d);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('config: provider keys of a role', () => {
  it('when the runbook\u2019s render-node entry is written, then it is accepted (the SHA-256 read in lower case)', () => {
    const role = parseConfig(renderNode()).roles['render-node']!;
    expect(role.package).toEqual({ url: '/downloads/larkxr-standalone-4.1.0.zip', sha256: SHA.toLowerCase(), version: '4.1.0' });
    expect(role.health).toEqual({ ports: [8181, 8282, 13306], processes: [] });
    expect(role.recipe).toEqual({});
    expect(parseConfig(renderNode((r) => (r.package.url = 'https://releases.example.test/larkxr.zip'))).roles['render-node']!.package!.url).toMatch(/^https:/);
  });

  it.each([
    ['a url that is neither http(s) nor /-relative', (r: any) => (r.package.url = 'ftp://x/y.zip'), /roles\.render-node\.package\.url: must be an http\(s\) URL, or a path beginning with \//],
    ['a protocol-relative url', (r: any) => (r.package.url = '//host/y.zip'), /roles\.render-node\.package\.url/],
    ['a sha256 that is not 64 hex digits', (r: any) => (r.package.sha256 = 'abc'), /roles\.render-node\.package\.sha256: must be a SHA-256/],
    ['a package without a version', (r: any) => delete r.package.version, /roles\.render-node\.package\.version/],
    ['an unknown package key', (r: any) => (r.package.md5 = 'x'), /roles\.render-node\.package/],
    ['a package without provider', (r: any) => delete r.provider, /roles\.render-node\.provider: is required with `package`/],
    ['a package without install_dir', (r: any) => delete r.install_dir, /roles\.render-node\.install_dir: is required with `package`/],
    ['a package without start', (r: any) => delete r.start, /roles\.render-node\.start: is required with `package`/],
    ['a package with nothing to health-check', (r: any) => (r.health = { ports: [], processes: [] }), /roles\.render-node\.health: must name at least one port or process/],
    ['a relative install_dir', (r: any) => (r.install_dir = 'LarkXR\\x'), /roles\.render-node\.install_dir: must be an absolute path/],
    ['a drive root as install_dir', (r: any) => (r.install_dir = 'C:\\LarkXR'), /roles\.render-node\.install_dir: must be at least two levels deep/],
    ['a port out of range', (r: any) => (r.health.ports = [70000]), /roles\.render-node\.health\.ports\[0\]/],
    ['a process given as a path', (r: any) => (r.stop.processes = ['C:\\LarkXR\\x.exe']), /roles\.render-node\.stop\.processes\[0\]: must be a process name/],
    ['install_dir without a package', (r: any) => delete r.package, /roles\.render-node\.install_dir: needs `package`/],
  ])('when a role has %s, then the config is refused naming the key', (_what, change, message) => {
    expect(refusal(renderNode(change))).toMatch(message);
  });

  it('when install_dir is checked, then only absolute paths two levels deep pass (a reprovision removes it)', () => {
    expect(installDirProblem('C:\\LarkXR\\larkxr-standalone')).toBeNull();
    expect(installDirProblem('/opt/larkxr/standalone')).toBeNull();
    expect(installDirProblem('\\\\server\\share\\larkxr')).toBeNull();
    expect(installDirProblem('/opt')).toMatch(/two levels/);
    expect(installDirProblem('C:\\')).toMatch(/two levels/);
    expect(installDirProblem('/opt/../etc')).toMatch(/\.\./);
  });

  it('when the first config is written, then its roles name no placeholder script that fails on purpose', () => {
    const roles = parseConfig(defaultConfigDocument()).roles;
    expect(Object.keys(roles).sort()).toEqual(['hydraguard-air', 'hydraheadflatscreen', 'render-node']);
    for (const role of Object.values(roles)) {
      expect(role.recipe).toEqual({});
      expect(role.package).toBeUndefined();
    }
    expect(roles['render-node']!.provider).toBe('larkxr');
  });
});

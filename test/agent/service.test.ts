import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installService, systemdArg, systemdUnit, windowsArg, windowsTaskXml, type RunProgram } from '../../src/agent/service.js';
import { tempDir } from './agent-process.js';

function recorder(code = 0): { run: RunProgram; calls: string[][] } {
  const calls: string[][] = [];
  return { calls, run: async (file, args) => (calls.push([file, ...args]), { code, output: code ? 'access denied' : '' }) };
}

describe('the service hydranode install writes (docs/operations.md#agent-distribution)', () => {
  it('when the program and home have spaces, quotes, % and $, then the unit quotes and escapes them as systemd reads them', () => {
    expect(systemdArg('/usr/local/bin/hydranode')).toBe('/usr/local/bin/hydranode');
    expect(systemdArg('/srv/my home/x')).toBe('"/srv/my home/x"');
    expect(systemdArg('/a"b%c$d')).toBe('"/a\\"b%%c$$d"');
    const unit = systemdUnit({ program: ['/usr/local/bin/hydranode'], home: '/var/lib/hydra node' });
    expect(unit).toContain('ExecStart=/usr/local/bin/hydranode run --home "/var/lib/hydra node"\n');
    expect(unit).toContain('Restart=always\n');
    expect(unit).toContain('WantedBy=multi-user.target');
  });

  it('when the task XML is made, then it runs as SYSTEM at startup, every minute, never twice, with no run-time limit', () => {
    const xml = windowsTaskXml({ program: ['C:\\Program Files\\hydra node\\hydranode.exe'], home: 'C:\\Windows\\System32\\config\\systemprofile\\.hydranode' });
    expect(xml).toContain('<BootTrigger>');
    expect(xml).toContain('<Interval>PT1M</Interval>');
    expect(xml).toContain('<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>');
    expect(xml).toContain('<UserId>S-1-5-18</UserId>');
    expect(xml).toContain('<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>');
    expect(xml).toContain('<Command>&quot;C:\\Program Files\\hydra node\\hydranode.exe&quot;</Command>');
    expect(xml).toContain('<Arguments>run --home C:\\Windows\\System32\\config\\systemprofile\\.hydranode</Arguments>');
    expect(xml).toContain('<WorkingDirectory>C:\\Program Files\\hydra node</WorkingDirectory>');
    expect(windowsArg('C:\\a b\\')).toBe('"C:\\a b\\\\"');
    expect(windowsArg('say "hi"')).toBe('"say \\"hi\\""');
  });

  it('when systemd runs, then the unit is written and systemctl reloads, enables and (re)starts hydranode', async () => {
    const dir = tempDir('hn-svc-');
    const { run, calls } = recorder();
    const lines: string[] = [];
    const unitPath = join(dir, 'etc/hydranode.service');
    const failed = await installService({ program: ['/usr/local/bin/hydranode'], home: '/root/.hydranode' }, { platform: 'linux', run, out: (l) => lines.push(l), unitPath, systemdRunningDir: dir, scratchDir: dir });
    expect(failed).toBeNull();
    expect(readFileSync(unitPath, 'utf8')).toContain('ExecStart=/usr/local/bin/hydranode run --home /root/.hydranode');
    expect(calls).toEqual([['systemctl', 'daemon-reload'], ['systemctl', 'enable', 'hydranode'], ['systemctl', 'restart', 'hydranode']]);
  });

  it('when systemd does not run, then the unit is written, nothing is called, and it says how to start the agent', async () => {
    const dir = tempDir('hn-svc-');
    const { run, calls } = recorder();
    const lines: string[] = [];
    await installService({ program: ['/usr/local/bin/hydranode'], home: '/h' }, { platform: 'linux', run, out: (l) => lines.push(l), unitPath: join(dir, 'u.service'), systemdRunningDir: join(dir, 'absent'), scratchDir: dir });
    expect(calls).toEqual([]);
    expect(lines.join('\n')).toContain('systemd is not running here: start the agent with `/usr/local/bin/hydranode run --home /h`');
  });

  it('on Windows, then schtasks creates the task from a UTF-16 XML file as SYSTEM, ends a running one and starts it', async () => {
    const dir = tempDir('hn-svc-');
    const { run, calls } = recorder();
    const failed = await installService({ program: ['C:\\hydranode\\hydranode.exe'], home: 'C:\\h' }, { platform: 'win32', run, out: () => {}, scratchDir: dir, systemRoot: 'C:\\Windows' });
    expect(failed).toBeNull();
    const schtasks = join('C:\\Windows', 'System32', 'schtasks.exe');
    const xmlFile = join(dir, 'hydranode-task.xml');
    expect(calls).toEqual([
      [schtasks, '/Create', '/TN', 'HydraNode', '/XML', xmlFile, '/RU', 'SYSTEM', '/F'],
      [schtasks, '/End', '/TN', 'HydraNode'],
      [schtasks, '/Run', '/TN', 'HydraNode'],
    ]);
    const bytes = readFileSync(xmlFile);
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(bytes.subarray(2).toString('utf16le')).toContain('<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>');
  });

  it('when schtasks fails, then the reason comes back and nothing is started', async () => {
    const { run, calls } = recorder(1);
    const failed = await installService({ program: ['C:\\hydranode\\hydranode.exe'], home: 'C:\\h' }, { platform: 'win32', run, out: () => {}, scratchDir: tempDir('hn-svc-') });
    expect(failed).toMatch(/\/Create .* exited 1: access denied/);
    expect(calls).toHaveLength(1);
  });
});

/**
 * The agent as a service (docs/operations.md#agent-distribution), installed by `hydranode install` unless `--no-service`:
 * - Linux: `/etc/systemd/system/hydranode.service` (Restart=always), then `systemctl daemon-reload`,
 *   `enable` and `restart` (a reinstall runs the new binary) where systemd runs; else how to start it.
 * - Windows: the scheduled task `HydraNode`, from an XML definition: SYSTEM, at startup, repeating
 *   every minute with MultipleInstancesPolicy IgnoreNew (a dead agent is back within a minute, a live
 *   one is never doubled), no run-time limit (the default 72 h would stop the agent); then started.
 * The texts are pure functions (tested as text: Wine's schtasks cannot create tasks); `run` is injected.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, win32 } from 'node:path';

export const SYSTEMD_UNIT_PATH = '/etc/systemd/system/hydranode.service';
/** systemd is the running init when this folder exists (sd_booted(3)). */
export const SYSTEMD_RUNNING_DIR = '/run/systemd/system';
export const WINDOWS_TASK_NAME = 'HydraNode';
const LOCAL_SYSTEM_SID = 'S-1-5-18';

/** How to start the agent: the program (and, outside a single executable, its script) plus `run --home`. */
export interface ServiceCommand {
  program: string[];
  home: string;
}

/** One argument of a systemd command line: quoted when needed; `%` and `$` escaped (systemd.service(5)). */
export function systemdArg(arg: string): string {
  const escaped = arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? escaped : `"${escaped}"`;
}

/** The systemd unit that keeps `hydranode run` running. */
export function systemdUnit(cmd: ServiceCommand): string {
  const exec = [...cmd.program, 'run', '--home', cmd.home].map(systemdArg).join(' ');
  return [
    '# Written by `hydranode install`; `hydranode install` again rewrites it.',
    '[Unit]',
    'Description=HydraCluster node agent (hydranode)',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    `ExecStart=${exec}`,
    'Restart=always',
    'RestartSec=5',
    // SIGTERM lets the agent report a running exec; what it started goes with it after the timeout.
    'KillMode=mixed',
    'TimeoutStopSec=20',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** One argument of a Windows command line (CommandLineToArgvW rules): quoted when it has spaces or quotes. */
export function windowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

/** The task's definition for `schtasks /Create /XML` (written as UTF-16 with a BOM, as schtasks expects). */
export function windowsTaskXml(cmd: ServiceCommand): string {
  const [exe, ...pre] = cmd.program;
  const args = [...pre, 'run', '--home', cmd.home].map(windowsArg).join(' ');
  return `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Description>HydraCluster node agent (hydranode run); written by hydranode install</Description></RegistrationInfo>
  <Triggers>
    <BootTrigger>
      <Enabled>true</Enabled>
      <Repetition><Interval>PT1M</Interval><StopAtDurationEnd>false</StopAtDurationEnd></Repetition>
    </BootTrigger>
  </Triggers>
  <Principals><Principal id="System"><UserId>${LOCAL_SYSTEM_SID}</UserId><RunLevel>HighestAvailable</RunLevel></Principal></Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="System">
    <Exec><Command>${xml(windowsArg(exe!))}</Command><Arguments>${xml(args)}</Arguments><WorkingDirectory>${xml(win32.dirname(exe!))}</WorkingDirectory></Exec>
  </Actions>
</Task>
`;
}

/** Runs a program; resolves with its exit code and output (never rejects). */
export type RunProgram = (file: string, args: string[]) => Promise<{ code: number; output: string }>;

export interface ServiceDeps {
  platform: NodeJS.Platform;
  run: RunProgram;
  out: (line: string) => void;
  /** Overrides for tests. */
  unitPath?: string;
  systemdRunningDir?: string;
  /** Where the task XML is written before schtasks reads it. */
  scratchDir: string;
  /** %SystemRoot%, for schtasks' full path. */
  systemRoot?: string;
}

/** Installs and starts the service; returns null, or why it could not (one sentence). */
export async function installService(cmd: ServiceCommand, deps: ServiceDeps): Promise<string | null> {
  const { run, out } = deps;
  const step = async (file: string, args: string[]): Promise<string | null> => {
    const r = await run(file, args);
    return r.code === 0 ? null : `${[file, ...args].join(' ')} exited ${r.code}: ${r.output.trim().slice(-500)}`;
  };
  if (deps.platform === 'win32') {
    const schtasks = join(deps.systemRoot ?? 'C:\\Windows', 'System32', 'schtasks.exe');
    mkdirSync(deps.scratchDir, { recursive: true });
    const file = join(deps.scratchDir, 'hydranode-task.xml');
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(windowsTaskXml(cmd), 'utf16le')]));
    const failed = await step(schtasks, ['/Create', '/TN', WINDOWS_TASK_NAME, '/XML', file, '/RU', 'SYSTEM', '/F']);
    if (failed) return failed;
    await run(schtasks, ['/End', '/TN', WINDOWS_TASK_NAME]); // a running older agent stops; not running is fine
    const started = await step(schtasks, ['/Run', '/TN', WINDOWS_TASK_NAME]);
    if (started) return started;
    out(`hydranode: scheduled task ${WINDOWS_TASK_NAME} installed (SYSTEM, at startup, every minute if not running) and started`);
    return null;
  }
  if (deps.platform !== 'linux') {
    out(`hydranode: no service installer for ${deps.platform}: keep \`${[...cmd.program, 'run', '--home', cmd.home].join(' ')}\` running (e.g. with launchd)`);
    return null;
  }
  const unitPath = deps.unitPath ?? SYSTEMD_UNIT_PATH;
  mkdirSync(dirname(unitPath), { recursive: true });
  writeFileSync(unitPath, systemdUnit(cmd), { mode: 0o644 });
  out(`hydranode: wrote ${unitPath}`);
  if (!existsSync(deps.systemdRunningDir ?? SYSTEMD_RUNNING_DIR)) {
    out(`hydranode: systemd is not running here: start the agent with \`${[...cmd.program, 'run', '--home', cmd.home].join(' ')}\` from this system's init`);
    return null;
  }
  for (const args of [['daemon-reload'], ['enable', 'hydranode'], ['restart', 'hydranode']]) {
    const failed = await step('systemctl', args);
    if (failed) return failed;
  }
  out('hydranode: service hydranode enabled and (re)started (systemctl status hydranode)');
  return null;
}

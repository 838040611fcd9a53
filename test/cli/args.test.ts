import { describe, expect, it } from 'vitest';
import { parseClientArgs, parseDuration, UsageError } from '../../src/cli/args.js';

const usage = (cmd: string, argv: string[]) => () => parseClientArgs(cmd, argv);

describe('CLI argument parser', () => {
  it('when durations are given as 30s, 2m, 1h or bare seconds, then they are seconds', () => {
    expect(parseDuration('30s')).toBe(30);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('45')).toBe(45);
  });

  it('when a duration is malformed, zero or over 24 h, then it is a usage error', () => {
    for (const bad of ['', 's', '5x', '1.5s', '-3s', '0s', '25h', '2 m']) expect(() => parseDuration(bad), bad).toThrow(UsageError);
  });

  it('when exec gets a node, a command and every flag, then all are in the command', () => {
    const p = parseClientArgs('exec', ['node-1', 'Get-Process', '--timeout', '2m', '--json', '--interpreter', 'powershell', '--server', 'http://h:1', '--admin-token', 'T', '--home', '/h']);
    expect(p.command).toEqual({ cmd: 'exec', nodeId: 'node-1', source: { kind: 'text', text: 'Get-Process' }, timeoutS: 120, interpreter: 'powershell', json: true, async: false });
    expect(p.conn).toEqual({ server: 'http://h:1', adminToken: 'T', home: '/h' });
  });

  it('when exec gets --file, then the source is the file and no command text is allowed', () => {
    expect(parseClientArgs('exec', ['node-1', '--file', './setup.ps1', '--async']).command).toMatchObject({ source: { kind: 'file', path: './setup.ps1' }, async: true });
    expect(usage('exec', ['node-1', 'echo', '--file', 'x'])).toThrow(/unexpected argument/);
  });

  it('when a command starts with a dash, then -- passes it through', () => {
    expect(parseClientArgs('exec', ['node-1', '--', '-c true']).command).toMatchObject({ source: { kind: 'text', text: '-c true' } });
  });

  it('when exec usage is wrong, then each is a UsageError', () => {
    for (const argv of [[], ['node-1'], ['node-1', 'a', 'b'], ['node-1', 'x', '--timeout', 'soon'], ['node-1', 'x', '--interpreter', 'zsh'], ['node-1', 'x', '--bogus'], ['node-1', 'x', '--timeout']]) {
      expect(usage('exec', argv), argv.join(' ')).toThrow(UsageError);
    }
  });

  it('when nodes is given each action, then it parses to that action', () => {
    expect(parseClientArgs('nodes', []).command).toEqual({ cmd: 'nodes', action: 'list', filters: {}, json: false });
    expect(parseClientArgs('nodes', ['roles', 'n1', 'a', 'b']).command).toEqual({ cmd: 'nodes', action: 'roles', id: 'n1', roles: ['a', 'b'], json: false });
    expect(parseClientArgs('nodes', ['drain', 'n1', '--reason', 'maintenance']).command).toMatchObject({ action: 'drain', id: 'n1', reason: 'maintenance' });
    for (const a of ['show', 'undrain', 'update-node', 'update-services', 'reprovision', 'reenroll', 'rm']) {
      expect(parseClientArgs('nodes', [a, 'n1']).command).toMatchObject({ action: a, id: 'n1' });
    }
    expect(usage('nodes', ['explode', 'n1'])).toThrow(UsageError);
    expect(usage('nodes', ['show'])).toThrow(/node id/);
    expect(usage('nodes', ['rm', 'n1', '--reason', 'x'])).toThrow(UsageError);
  });

  it('when nodes list gets filters, nodes set KEY=VALUE pairs and rm --yes, then they parse; a bad state, kind or key is a usage error', () => {
    expect(parseClientArgs('nodes', ['list', '--state', 'online', '--role', 'render-node', '--venue', 'hall 2']).command).toMatchObject({
      action: 'list', filters: { state: 'online', role: 'render-node', venue: 'hall 2' },
    });
    expect(usage('nodes', ['list', '--state', 'sleeping'])).toThrow(/--state must be one of enrolling/);
    expect(usage('nodes', ['list', '--kind', 'toaster'])).toThrow(/--kind must be one of/);
    expect(usage('nodes', ['show', 'n1', '--state', 'online'])).toThrow(/go with nodes list/);
    expect(parseClientArgs('nodes', ['set', 'n1', 'name=render 07', 'district=bxl1', 'venue=']).command).toEqual({
      cmd: 'nodes', action: 'set', id: 'n1', changes: { name: 'render 07', district: 'bxl1', venue: '' }, json: false,
    });
    expect(usage('nodes', ['set', 'n1'])).toThrow(/at least one of name, owner, district, venue/);
    expect(usage('nodes', ['set', 'n1', 'kind=ipad'])).toThrow(UsageError);
    expect(usage('nodes', ['set', 'n1', 'owner'])).toThrow(/KEY=VALUE/);
    expect(parseClientArgs('nodes', ['rm', 'n1', '--yes']).command).toMatchObject({ action: 'rm', yes: true });
    expect(usage('nodes', ['drain', 'n1', '--yes'])).toThrow(/--yes goes with/);
  });

  it('when enroll is given a name and its options, then it parses; a bad os, kind or ttl is a usage error', () => {
    expect(parseClientArgs('enroll', ['walk-linux-01', '--os', 'linux', '--kind', 'flatscreen', '--ttl', '15m']).command).toEqual({
      cmd: 'enroll', name: 'walk-linux-01', os: 'linux', kind: 'flatscreen', owner: undefined, ttlS: 900, json: false,
    });
    expect(usage('enroll', [])).toThrow(/node name/);
    expect(usage('enroll', ['x', '--os', 'beos'])).toThrow(/--os must be one of windows, linux, macos/);
    expect(usage('enroll', ['x', '--kind', 'ipad'])).toThrow(/--kind must be one of/);
    expect(usage('enroll', ['x', '--ttl', 'soon'])).toThrow(/bad duration/);
  });

  it('when queue and debug are given their actions, then they parse, defaulting to show and actors', () => {
    expect(parseClientArgs('queue', ['n1']).command).toEqual({ cmd: 'queue', nodeId: 'n1', action: 'show', json: false });
    expect(parseClientArgs('queue', ['n1', 'clear']).command).toMatchObject({ action: 'clear' });
    expect(usage('queue', ['n1', 'flush'])).toThrow(UsageError);
    expect(usage('queue', [])).toThrow(UsageError);
    expect(parseClientArgs('debug', []).command).toEqual({ cmd: 'debug', action: 'actors' });
    expect(parseClientArgs('debug', ['actor', 'n1/exec']).command).toEqual({ cmd: 'debug', action: 'actor', id: 'n1/exec' });
    expect(parseClientArgs('debug', ['requests']).command).toEqual({ cmd: 'debug', action: 'requests' });
    expect(usage('debug', ['actor'])).toThrow(UsageError);
  });
});

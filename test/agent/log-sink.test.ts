/**
 * The agent's log file: JSON lines through the shared logger, capped by rotation to `.1`.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/log.js';
import { RotatingFileSink, teeSink } from '../../src/agent/log-sink.js';
import { tempDir } from './agent-process.js';

describe('agent log file', () => {
  it('when the file would grow past its cap, then it moves to hydranode.log.1 and a new file starts', () => {
    const path = join(tempDir('hn-log-'), 'hydranode.log');
    const sink = new RotatingFileSink(path, 100);
    sink.write('a'.repeat(60) + '\n');
    sink.write('b'.repeat(60) + '\n');
    sink.write('c'.repeat(10) + '\n');
    sink.close();
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('a'.repeat(60) + '\n');
    expect(readFileSync(path, 'utf8')).toBe('b'.repeat(60) + '\n' + 'c'.repeat(10) + '\n');
  });

  it('when the agent logs, then each sink gets the same JSON line', () => {
    const path = join(tempDir('hn-log-'), 'hydranode.log');
    const file = new RotatingFileSink(path);
    const copy: string[] = [];
    const log = createLogger({ format: 'json', sink: teeSink(file, { write: (c) => void copy.push(c) }) });
    log.info('heartbeat failed', { status: 503 });
    log.flush();
    file.close();
    const line = JSON.parse(readFileSync(path, 'utf8'));
    expect(line).toMatchObject({ level: 'info', msg: 'heartbeat failed', status: 503 });
    expect(copy.join('')).toBe(readFileSync(path, 'utf8'));
    expect(existsSync(`${path}.1`)).toBe(false);
  });
});

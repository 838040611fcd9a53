/**
 * The JSON logger: the request log's pre-serialized fast path writes exactly what info() writes.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';

function capture() {
  let out = '';
  const log = createLogger({ format: 'json', sink: { write: (s) => void (out += s) } });
  return { log, text: () => (log.flush(), out) };
}

describe('JSON logger', () => {
  it('when a line is logged through infoRaw, then it parses to the same object info() writes', () => {
    const a = capture();
    const b = capture();
    const fields = { req_id: 'req-1z', method: 'POST', path: '/api/v1/nodes/"x"\n', status: 200, duration_ms: 0.4 };
    a.log.info('response', fields);
    b.log.infoRaw('response', `"req_id":"req-1z","method":"POST","path":${JSON.stringify(fields.path)},"status":200,"duration_ms":0.4`, () => fields);
    const [la, lb] = [JSON.parse(a.text()), JSON.parse(b.text())];
    expect({ ...lb, time: null }).toEqual({ ...la, time: null });
    expect(lb).toMatchObject({ level: 'info', msg: 'response', ...fields });
  });

  it('when the format is pretty, then infoRaw uses the fields', () => {
    let out = '';
    const log = createLogger({ format: 'pretty', sink: { write: (s) => void (out += s) } });
    log.infoRaw('request', '"ignored":true', () => ({ path: '/x' }));
    log.flush();
    expect(out).toContain('request path=/x');
    expect(out).not.toContain('ignored');
  });
});

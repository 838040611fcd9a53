/**
 * Issue 18, item 4: names, owner, district and venue are displayable text. Control characters
 * (C0, DEL, C1) and bidi marks, overrides and isolates are refused with a 400 naming the field at
 * enrollment (anonymous or admin), PATCH and head registration; what agents report (hostname) is
 * never refused, so a node does not go offline for its hostname.
 */
import { describe, expect, it } from 'vitest';
import { UNDISPLAYABLE } from '../../src/wire/common.js';
import { FLEET, harness } from '../support/harness.js';

/** The name of issue 18's report: erase the line, return, then reverse what follows. */
const HOSTILE = 'printer\x1b[2K\r…\u202e';
/** One of each kind that is refused, and what stays allowed. */
const REFUSED = ['a\tb', 'a\x7fb', 'a\x85b', 'a\x9b2Kb', 'a\u061cb', 'a\u200eb', 'a\u200fb', 'a\u2028b', 'a\u202ab', 'a\u2067b', 'a\u2069b', 'a\x00b'];
const ALLOWED = ['Wien Süd', '東京 3F', 'tv 👨\u200d👩\u200d👧', 'עברית', 'a\\x1b[2K (typed, not ESC)'];

describe('displayable text in names, owner, district and venue', () => {
  it('when an anonymous enrollment is named with ESC, CR and U+202E, then it gets a 400 naming `name` and no node is created', async () => {
    const h = await harness();
    const r = await h.json('POST', '/enrollments', { token: null, body: { name: HOSTILE } });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
    expect(r.body.message).toMatch(/^field `name`: must not contain control or bidirectional-format characters \(U\+001B at character 8\)$/);
    expect((await h.json('GET', '/nodes')).body).toEqual([]);
  });

  it('when an enrollment carries a refused character in name or owner, then 400 names that field; allowed Unicode passes', async () => {
    const h = await harness();
    for (const bad of REFUSED) {
      expect((await h.json('POST', '/enrollments', { body: { name: bad } })).body.message, JSON.stringify(bad)).toMatch(/^field `name`: must not contain/);
      expect((await h.json('POST', '/enrollments', { body: { name: 'ok', owner: bad } })).body.message, JSON.stringify(bad)).toMatch(/^field `owner`: must not contain/);
    }
    for (const good of ALLOWED) expect((await h.json('POST', '/enrollments', { body: { name: good, owner: good } })).status, good).toBe(201);
  });

  it('when a PATCH sets name, owner, district or venue with a control or bidi character, then 400 names the field and the node is unchanged', async () => {
    const h = await harness();
    const { id } = await h.addNode({ name: 'clean' });
    for (const field of ['name', 'owner', 'district', 'venue']) {
      for (const bad of ['x\x1b]0;pwned\x07', 'x\u202ey', 'x\x9dy']) {
        const r = await h.json('PATCH', `/nodes/${id}`, { body: { [field]: bad } });
        expect(r.status, `${field} ${JSON.stringify(bad)}`).toBe(400);
        expect(r.body.message).toMatch(new RegExp(`^field \`${field}\`: must not contain`));
      }
    }
    const n = (await h.json('GET', `/nodes/${id}`)).body;
    expect([n.name, n.owner, n.district, n.venue]).toEqual(['clean', '', '', '']);
    expect((await h.json('PATCH', `/nodes/${id}`, { body: { name: 'Café 2', district: 'Zürich' } })).status).toBe(200);
  });

  it('when an iPad registers through the fleet token with a control or bidi character in any text field, then 400 names the field', async () => {
    const h = await harness();
    for (const field of ['name', 'owner', 'district', 'venue']) {
      const r = await h.json('POST', '/heads', { token: FLEET, body: { name: 'ipad', [field]: 'iPad\u2066 of\x1b[8m x' } });
      expect(r.status, field).toBe(400);
      expect(r.body.message).toMatch(new RegExp(`^field \`${field}\`: must not contain`));
    }
    expect((await h.json('GET', '/heads')).body).toEqual([]);
    expect((await h.json('POST', '/heads', { token: FLEET, body: { name: 'iPad de Zoë', venue: 'Salle 1' } })).status).toBe(201);
  });

  it('when an agent registers and heartbeats with ESC, C1 and U+202E in its hostname, then both are accepted and the hostname is kept as sent', async () => {
    const h = await harness();
    const e = await h.enroll({ name: 'n1' });
    const reg = await h.json('POST', '/register', { token: e.enrollment_token, body: { hostname: 'reg\x1b[2J' } });
    expect(reg.status).toBe(200);
    const hostname = 'host\x1b[2K\r\x9b31m\u202eevil';
    const hb = await h.heartbeat(reg.body.token, { hostname });
    expect(hb.status).toBe(200);
    expect(hb.body.state).toBe('online');
    expect((await h.json('GET', `/nodes/${e.node_id}`)).body.hostname).toBe(hostname);
  });

  it('the refused set is exactly C0, DEL, C1, U+061C, U+200E/F, U+2028–U+202E and U+2066–U+2069', () => {
    const refused: number[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) if (UNDISPLAYABLE.test(String.fromCharCode(cp))) refused.push(cp);
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    expect(refused).toEqual([...range(0, 0x1f), ...range(0x7f, 0x9f), 0x61c, 0x200e, 0x200f, ...range(0x2028, 0x202e), ...range(0x2066, 0x2069)]);
  });
});

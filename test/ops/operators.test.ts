import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { ADMIN, FLEET, harness, testConfig } from '../support/harness.js';

const ALICE = 'hco_alice-token-0123456789abcdef';

describe('operators in config.yaml', () => {
  it('when operators are configured, then each token is an admin credential and the others stay refused', async () => {
    const h = await harness({ config: testConfig((d) => (d.operators = { alice: ALICE })) });
    expect((await h.json('GET', '/nodes', { token: ALICE })).status).toBe(200);
    expect((await h.json('GET', '/nodes', { token: `${ALICE}x` })).status).toBe(401);
    expect((await h.json('GET', '/nodes', { token: FLEET })).status).toBe(403);
  });

  it('when an operator token is short, reused, or named admin, then the config is refused naming the key', () => {
    expect(() => testConfig((d) => (d.operators = { bob: 'short' }))).toThrow(/operators\.bob: must be at least 16 characters/);
    expect(() => testConfig((d) => (d.operators = { bob: ADMIN }))).toThrow(/operators\.bob: must differ from server\.admin_token/);
    expect(() => testConfig((d) => (d.operators = { alice: ALICE, bob: ALICE }))).toThrow(/operators\.bob: must differ from operators\.alice/);
    expect(() => testConfig((d) => (d.operators = { admin: ALICE }))).toThrow(ConfigError);
    expect(() => testConfig((d) => (d.operators = { 'Bad Name': ALICE }))).toThrow(/operators\.Bad Name/);
    expect(() => testConfig((d) => (d.server.metrics_token = 'short'))).toThrow(/server\.metrics_token/);
    expect(() => testConfig((d) => (d.server.metrics_token = FLEET))).toThrow(/server\.metrics_token: must differ from server\.fleet_enrollment_token/);
  });
});

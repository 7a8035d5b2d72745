import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@platform/runtime';
import { loadProberConfig } from '../../src/config.ts';

const valid = { PROBE_BASE_URL: 'https://localhost:8443/', PROBE_PASSWORD: 'a long enough password' };

describe('the prober configuration', () => {
  it('defaults to a journey every 30 s, bounded by 10 s, as the journey-prober account', () => {
    const config = loadProberConfig(valid);
    assert.equal(config.PROBE_BASE_URL, 'https://localhost:8443');
    assert.equal(config.PROBE_INTERVAL_MS, 30_000);
    assert.equal(config.PROBE_TIMEOUT_MS, 10_000);
    assert.equal(config.PROBE_USERNAME, 'journey-prober');
  });

  it('refuses to start without a password or an edge, naming each problem', () => {
    assert.throws(
      () => loadProberConfig({}),
      (error: unknown) =>
        error instanceof ConfigError && /PROBE_BASE_URL/.test(error.message) && /PROBE_PASSWORD/.test(error.message),
    );
  });

  it('refuses a time limit that would let journeys pile up', () => {
    assert.throws(
      () => loadProberConfig({ ...valid, PROBE_INTERVAL_MS: '5000', PROBE_TIMEOUT_MS: '5000' }),
      /PROBE_TIMEOUT_MS: must be shorter than PROBE_INTERVAL_MS/,
    );
  });

  it('defaults to an 8 MiB upload after every fourth journey, good at 10 MiB/s or more', () => {
    const config = loadProberConfig(valid);
    assert.equal(config.PROBE_LARGE_UPLOAD_EVERY, 4);
    assert.equal(config.PROBE_LARGE_UPLOAD_BYTES, 8 * 1024 * 1024);
    assert.equal(config.PROBE_LARGE_UPLOAD_MIN_MIBPS, 10);
  });

  it('refuses a large upload that could not be fast within the time limit', () => {
    assert.throws(
      () =>
        loadProberConfig({ ...valid, PROBE_LARGE_UPLOAD_BYTES: String(128 * 1024 * 1024), PROBE_TIMEOUT_MS: '5000' }),
      /PROBE_LARGE_UPLOAD_BYTES: at PROBE_LARGE_UPLOAD_MIN_MIBPS must take less than PROBE_TIMEOUT_MS/,
    );
    assert.doesNotThrow(() =>
      loadProberConfig({ ...valid, PROBE_LARGE_UPLOAD_BYTES: String(16 * 1024 * 1024), PROBE_TIMEOUT_MS: '2000' }),
    );
  });
});

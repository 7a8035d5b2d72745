import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConfigError, configFields, loadConfig, serverConfigSchema } from '../../src/config.ts';

const schema = z.object({
  ...serverConfigSchema.shape,
  PORT: configFields.port(3000),
  SECRET: configFields.nonEmpty(),
  URL: configFields.postgresUrl(),
});

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const config = loadConfig(schema, { SECRET: 's', URL: 'postgresql://db/x' });
    assert.equal(config.PORT, 3000);
    assert.equal(config.HOST, '127.0.0.1');
    assert.equal(config.SHUTDOWN_GRACE_MS, 25_000);
  });

  it('lists every invalid variable in one readable message', () => {
    assert.throws(
      () => loadConfig(schema, { PORT: 'eighty', URL: 'http://nope' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /PORT: /.test(error.message) &&
        /SECRET: /.test(error.message) &&
        /URL: must be a postgresql:\/\/ URL/.test(error.message),
    );
  });

  it('reads NAME_FILE for variables the schema declares, and ignores others', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'config-')), 'secret');
    writeFileSync(file, 'from-a-file\n');
    const config = loadConfig(schema, {
      SECRET_FILE: file,
      URL: 'postgresql://db/x',
      UNRELATED_FILE: '/does/not/exist',
    });
    assert.equal(config.SECRET, 'from-a-file');
  });

  it('refuses NAME and NAME_FILE together, and unreadable files', () => {
    assert.throws(
      () => loadConfig(schema, { SECRET: 'a', SECRET_FILE: '/x', URL: 'postgresql://db/x' }),
      /both SECRET and SECRET_FILE/,
    );
    assert.throws(
      () => loadConfig(schema, { SECRET_FILE: '/does/not/exist', URL: 'postgresql://db/x' }),
      /cannot be read/,
    );
  });

  it('parses boolean flags strictly', () => {
    const flags = z.object({ ENABLED: configFields.flag(false) });
    assert.equal(loadConfig(flags, { ENABLED: 'true' }).ENABLED, true);
    assert.equal(loadConfig(flags, {}).ENABLED, false);
    assert.throws(() => loadConfig(flags, { ENABLED: 'yes' }), /must be true or false/);
  });
});

import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

// The CLI resolves env("DATABASE_URL") and builds the adapter whenever it reads the schema, even for
// commands that never connect (generate, validate, migrate diff). Those get a placeholder that names
// the missing variable, so a command that does connect fails saying what to set.
process.env['DATABASE_URL'] ??= 'postgresql://DATABASE_URL-is-not-set.invalid/platform';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // The WebAssembly schema engine over a driver adapter: no native engine download (see README).
  engine: 'js',
  experimental: { adapter: true },
  adapter: () => Promise.resolve(new PrismaPg({ connectionString: process.env['DATABASE_URL'] })),
});

import { defineConfig } from 'drizzle-kit';

// drizzle-kit writes plain SQL migrations that `wrangler d1 migrations apply` runs in order.
export default defineConfig({
  dialect: 'sqlite',
  schema: './schema/tables/index.ts',
  out: './schema/migrations',
});

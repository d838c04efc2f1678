import { z } from 'zod';

// Zod compiles object parsers with `new Function` unless told not to, and probes for it first;
// the dashboard's CSP (script-src 'self', no 'unsafe-eval') refuses that and Chromium reports a
// violation. Imported first by main.ts, so it runs before any schema is built.
z.config({ jitless: true });

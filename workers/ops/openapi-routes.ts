import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { VERSION } from '../../platform/version';
import type { AppEnv } from '../app-env';

/** `/api/openapi.json` (OpenAPI 3.1 from the same zod schemas that validate requests) and `/api/docs`. */
export function openapiRoutes(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key `sk_…` (create with `npm run keys -- create`).',
  });
  const r = new Hono<AppEnv>();
  r.get('/openapi.json', (c) =>
    c.json(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Skippy API',
          version: VERSION.version,
          description:
            'Edge-first trading platform: market data, streaming, predictions and backtests. Errors: `{ error: { code, message, details?, traceId } }`.',
        },
        servers: [{ url: new URL(c.req.url).origin }],
      }),
    ),
  );
  r.get('/docs', (c) => {
    c.header(
      'content-security-policy',
      "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'",
    );
    return c.html(DOCS_PAGE);
  });
  return r;
}

/** A dependency-free renderer: the API reference must work offline and within the dashboard's origin. */
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Skippy API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#111;background:#fafafa}main{max-width:960px;margin:auto;padding:24px}
h1{margin-top:0}.op{background:#fff;border:1px solid #ddd;border-radius:8px;margin:12px 0;padding:12px 16px}
.m{display:inline-block;min-width:64px;font-weight:700;text-transform:uppercase}.get{color:#0a7}.post{color:#06c}.delete{color:#c33}.put{color:#a60}
code,pre{font:13px ui-monospace,monospace}pre{background:#f3f3f3;padding:8px;overflow:auto;max-height:320px}details summary{cursor:pointer}
</style></head><body><main><h1>Skippy API reference</h1><p>Generated from <a href="/api/openapi.json">/api/openapi.json</a>.</p><div id="ops">Loading…</div></main>
<script>
fetch('/api/openapi.json').then(r=>r.json()).then(doc=>{
  const el=document.getElementById('ops');el.textContent='';
  const esc=s=>String(s??'').replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
  for(const [path,item] of Object.entries(doc.paths||{})){for(const [method,op] of Object.entries(item)){
    const d=document.createElement('section');d.className='op';
    d.innerHTML='<div><span class="m '+method+'">'+method+'</span> <code>'+esc(path)+'</code></div><p>'+esc(op.summary)+'</p>'+
      '<details><summary>Parameters, body and responses</summary><pre>'+esc(JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2))+'</pre></details>';
    el.appendChild(d);}}
}).catch(e=>{document.getElementById('ops').textContent='Could not load the document: '+e});
</script></body></html>`;

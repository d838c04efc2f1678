/**
 * The baseline for `bench:ws`: a minimal Node `ws` server that broadcasts every frame the
 * publisher (path `/pub`) sends to every socket of the frame's symbol (`/sub?symbol=X`; without
 * a symbol a socket gets everything). Run as its own process so that its CPU is measured apart
 * from the clients. Prints `listening <port>` when ready.
 */
import { type WebSocket, WebSocketServer } from 'ws';

const wss = new WebSocketServer({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' });
const bySymbol = new Map<string, Set<WebSocket>>();
const everything = new Set<WebSocket>();

function symbolOf(text: string): string | undefined {
  const m = /"symbol":"([^"]+)"/.exec(text);
  return m?.[1];
}

wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/pub') {
    ws.on('message', (data, isBinary) => {
      const symbol = symbolOf(data.toString());
      for (const s of everything) s.send(data, { binary: isBinary });
      for (const s of (symbol && bySymbol.get(symbol)) || []) s.send(data, { binary: isBinary });
    });
    return;
  }
  const symbol = url.searchParams.get('symbol');
  let set = everything;
  if (symbol) {
    set = bySymbol.get(symbol) ?? new Set();
    bySymbol.set(symbol, set);
  }
  set.add(ws);
  ws.on('close', () => set.delete(ws));
});
wss.on('listening', () => {
  const addr = wss.address();
  console.log(`listening ${typeof addr === 'object' && addr ? addr.port : addr}`);
});

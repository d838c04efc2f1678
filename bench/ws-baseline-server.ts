/**
 * The baseline for `bench:ws`: a minimal Node `ws` server that broadcasts every frame the
 * publisher (path `/pub`) sends to every other socket. Run as its own process so that its CPU is
 * measured apart from the clients. Prints `listening <port>` when ready.
 */
import { type WebSocket, WebSocketServer } from 'ws';

const wss = new WebSocketServer({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' });
const subscribers = new Set<WebSocket>();

wss.on('connection', (ws, req) => {
  if (req.url === '/pub') {
    ws.on('message', (data, isBinary) => {
      for (const s of subscribers) s.send(data, { binary: isBinary });
    });
    return;
  }
  subscribers.add(ws);
  ws.on('close', () => subscribers.delete(ws));
});
wss.on('listening', () => {
  const addr = wss.address();
  console.log(`listening ${typeof addr === 'object' && addr ? addr.port : addr}`);
});

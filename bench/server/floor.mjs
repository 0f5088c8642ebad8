// The bare floor of bench/server.mjs: what node:http and node:sqlite allow before any ccfleet code runs.
// `node bench/server/floor.mjs <mode> <sqlite file>`; prints `listening on http://127.0.0.1:<port>`.
//   insert  POST: read the body, JSON.parse, one node:sqlite INSERT per request (WAL, synchronous=NORMAL,
//           autocommit), 202. The floor named in shared/reference/measured-floors.md.
//   batch   the same, but the inserts of one event-loop turn share one transaction (what the server does).
//   parse   POST: read + JSON.parse only, 202.
//   any mode, GET: If-None-Match equal to the ETag → 304, else 200 with a small policy body.
import http from 'node:http';

const [mode, file] = process.argv.slice(2);
const ETAG = '"bench-floor-etag"';
const POLICY = Buffer.from(JSON.stringify({ id: 'bench', version: 1, env: { ANTHROPIC_BASE_URL: 'https://gw.example/anthropic' } }));

let insert = null;
let db = null;
if (mode === 'insert' || mode === 'batch') {
  const { DatabaseSync } = await import('node:sqlite');
  db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY, device_id TEXT NOT NULL, created_at TEXT NOT NULL, body TEXT NOT NULL)');
  const stmt = db.prepare('INSERT INTO reports (id, device_id, created_at, body) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING');
  insert = (v, text) => stmt.run(v.id, v.deviceId, v.createdAt, text);
}

let pending = [];
function flush() {
  const batch = pending;
  pending = [];
  db.exec('BEGIN');
  for (const p of batch) insert(p.v, p.text);
  db.exec('COMMIT');
  for (const p of batch) answer(p.res);
}
const answer = (res) => {
  res.writeHead(202, { 'content-type': 'application/json' });
  res.end('{"status":"stored"}');
};

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    if (req.headers['if-none-match'] === ETAG) {
      res.writeHead(304, { etag: ETAG });
      res.end();
    } else {
      res.writeHead(200, { etag: ETAG, 'content-type': 'application/json', 'content-length': POLICY.length });
      res.end(POLICY);
    }
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const v = JSON.parse(text);
    if (mode === 'insert') insert(v, text);
    if (mode === 'batch') {
      pending.push({ v, text, res });
      if (pending.length === 1) setImmediate(flush);
      return;
    }
    answer(res);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  db?.close();
  process.exit(0);
});

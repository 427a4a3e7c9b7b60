// Drives the real peerpigeon@1.1.3 Node client (PeerPigeonMesh) against a signaling server.
// Usage: node real-client.mjs <peerpigeon-package-dir> <ws-url> <network> <peerId> <expected-peer-ids,comma>
// Prints one JSON line per event; exits 0 once every expected peer was discovered, 1 on timeout.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const [pkgDir, url, network, peerId, expectedCsv] = process.argv.slice(2);
const require = createRequire(path.join(pkgDir, 'package.json'));
global.WebSocket = require('ws');
const { PeerPigeonMesh } = await import(pathToFileURL(path.join(pkgDir, 'index.js')).href);

const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const expected = new Set((expectedCsv || '').split(',').filter(Boolean));
const seen = new Set();
const mesh = new PeerPigeonMesh({ peerId, networkName: network, enableWebDHT: false, enableCrypto: false,
  ignoreEnvironmentErrors: true });
mesh.on('peerDiscovered', (d) => {
  say({ event: 'peerDiscovered', peerId: d.peerId });
  seen.add(d.peerId);
  if ([...expected].every((p) => seen.has(p))) {
    say({ event: 'done' });
    mesh.disconnect();
    setTimeout(() => process.exit(0), 200);
  }
});
mesh.on('statusChanged', (s) => { if (s.type === 'connected') say({ event: 'connected' }); });
setTimeout(() => { say({ event: 'timeout', seen: [...seen] }); process.exit(1); }, 20000);
try { await mesh.init(); } catch (e) { say({ event: 'initError', message: String(e && e.message) }); }
await mesh.connect(url);
say({ event: 'connecting', url });

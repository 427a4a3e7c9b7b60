// Starts the reference peerpigeon@1.1.3 server (server/index.js) with the options given as JSON.
// Usage: node reference-hub.mjs <peerpigeon-package-dir> '<options json>'
// Prints {"event":"started","port":N} once listening, then one JSON line per server event (none with
// REFERENCE_HUB_QUIET=true: the benchmark measures the server, not this logging). The only copy: the core
// tests, the browser suite and the benchmark all run this file (from the peerpigeon-core test-jar).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const [pkgDir, optionsJson] = process.argv.slice(2);
const require = createRequire(path.join(pkgDir, 'package.json'));
global.WebSocket = require('ws');
const { PeerPigeonServer } = await import(pathToFileURL(path.join(pkgDir, 'server', 'index.js')).href);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const options = JSON.parse(optionsJson);
const server = new PeerPigeonServer(options);
const quiet = process.env.REFERENCE_HUB_QUIET === 'true';
for (const ev of quiet ? [] :  ['peerConnected', 'peerDisconnected', 'peerAnnounced', 'hubRegistered', 'hubUnregistered',
  'bootstrapConnected', 'bootstrapDisconnected', 'hubDiscovered', 'bootstrapSignaling']) {
  server.on(ev, (d) => say({ event: ev, data: d }));
}
server.on('error', (e) => say({ event: 'error', message: String(e && e.message) }));
process.on('uncaughtException', (e) => say({ event: 'uncaught', message: String(e && e.stack) }));
process.on('unhandledRejection', (e) => say({ event: 'unhandled', message: String(e && (e.stack || e)) }));
const info = await server.start();
say({ event: 'started', port: info.port });
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, async () => { await server.stop(); process.exit(0); });
}

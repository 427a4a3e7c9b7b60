// Starts the reference peerpigeon@1.1.3 server (server/index.js) as a hub for the benchmark.
// Usage: node reference-hub.mjs <peerpigeon-package-dir> '<options json>'
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const [pkgDir, optionsJson] = process.argv.slice(2);
const require = createRequire(path.join(pkgDir, 'package.json'));
global.WebSocket = require('ws');
const { PeerPigeonServer } = await import(pathToFileURL(path.join(pkgDir, 'server', 'index.js')).href);
const server = new PeerPigeonServer(JSON.parse(optionsJson));
await server.start();
process.on('SIGTERM', async () => { await server.stop(); process.exit(0); });
process.on('SIGINT', async () => { await server.stop(); process.exit(0); });

// Browser interop driver: starts servers, serves the test page, drives headless Chromium (playwright-core,
// Debian's /usr/bin/chromium) and prints one JSON line per scenario. Meant to run inside a private network
// namespace (see netns.sh) where this host is 198.18.0.1.
// Usage: node driver.mjs <node_modules dir> <server jar> <scenario,scenario,...>
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const [modulesDir, jar, scenarioList] = process.argv.slice(2);
const require = createRequire(path.join(modulesDir, 'noop.js'));
const { chromium } = require('playwright-core');
const here = path.dirname(fileURLToPath(import.meta.url));
const HOST = process.env.TEST_HOST || '198.18.0.1';
const bundle = fs.readFileSync(path.join(modulesDir, 'peerpigeon/dist/peerpigeon-browser.js'));
const page = fs.readFileSync(path.join(here, 'page.html'));
const initScript = fs.readFileSync(path.join(here, 'init.js'), 'utf8');
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const children = [];
let nextPort = 4100;

function staticServer() {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      if (req.url.startsWith('/peerpigeon-browser.js')) { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(bundle); }
      else { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page); }
    });
    s.listen(0, HOST, () => resolve(s));
  });
}

async function waitHealthy(port, ms = 20000, tls = false) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const ok = await new Promise((resolve) => {
        (tls ? https : http).get({ host: HOST, port, path: '/health', timeout: 500, rejectUnauthorized: false },
          (r) => { r.resume(); resolve(r.statusCode === 200); })
          .on('error', () => resolve(false));
      });
      if (ok) return;
    } catch { /* retry */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server on ' + port + ' did not start');
}

async function ourServer(env = {}) {
  const port = nextPort++;
  const log = fs.openSync(process.env.SERVER_LOG || '/dev/null', 'a');
  const p = spawn('java', ['-jar', jar], { env: { ...process.env, PORT: String(port), HOST, ...env }, stdio: ['ignore', log, log] });
  children.push(p);
  const tls = !!env.TLS_CERT_FILE;
  await waitHealthy(port, 20000, tls);
  return { port, url: `${tls ? 'wss' : 'ws'}://${HOST}:${port}`, proc: p };
}

async function referenceHub(bootstrap) {
  const port = nextPort++;
  const opts = { port, host: HOST, isHub: true, autoConnect: !!bootstrap, bootstrapHubs: bootstrap ? [bootstrap] : [] };
  // The kit's reference-hub.mjs (peerpigeon-core test resources), passed in by the test.
  const script = process.env.REFERENCE_HUB_SCRIPT;
  const p = spawn('node', [script, path.join(modulesDir, 'peerpigeon'), JSON.stringify(opts)],
    { stdio: ['ignore', 'ignore', 'ignore'] });
  children.push(p);
  await waitHealthy(port);
  return { port, url: `ws://${HOST}:${port}`, proc: p };
}

function stopAll() {
  for (const c of children.splice(0)) { try { c.kill('SIGTERM'); } catch { /* gone */ } }
}

let browser;
let site;
async function openPeer(url, network, peerId) {
  // The wss scenario's certificate is self-signed: its contexts accept it (page and WebSocket alike).
  const context = await browser.newContext({ ignoreHTTPSErrors: url.startsWith('wss:') });
  await context.addInitScript(initScript);
  const p = await context.newPage();
  await p.goto(`http://${HOST}:${site.address().port}/`);
  const id = await p.evaluate((o) => window.startPeer(o), { url, network, peerId });
  return { page: p, context, id, network };
}

async function until(what, fn, ms = 40000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last === true) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('timed out waiting for ' + what + (last && last !== false ? ': ' + JSON.stringify(last) : ''));
}

const snap = (p) => p.page.evaluate(() => window.snapshot());

/**
 * The 1.1.3 client's glare bug: both peers offered to each other (an isolated peer offers whatever the id order), the
 * lower id backed down and answered the other's offer on a new connection, and that connection never gathered a
 * single ICE candidate (its trace has the remote offer and no candidate), so the pair cannot connect and the client
 * ignores the offers that follow. It counts only when the hub did its part, from the pages' own records: each page
 * learned of the other before that peer's first offer reached it, and every offer, answer and candidate either page
 * sent to the other arrived.
 */
async function clientGlare(a, b) {
  const record = (p, other) => p.page.evaluate((o) => {
    const parse = (f) => { try { return JSON.parse(f); } catch (e) { return {}; } };
    const signal = (m) => ['offer', 'answer', 'ice-candidate'].includes(m.type);
    const got = window.__frames.map(parse);
    const firstDiscovered = got.findIndex((m) => m.type === 'peer-discovered' && m.data && m.data.peerId === o);
    const firstOffer = got.findIndex((m) => m.type === 'offer' && m.fromPeerId === o);
    const trace = window.__rtc.trace || [];
    return {
      sent: window.__sent.map(parse).filter((m) => signal(m) && m.targetPeerId === o).map((m) => JSON.stringify(m.data)),
      received: got.filter((m) => signal(m) && m.fromPeerId === o).map((m) => JSON.stringify(m.data)),
      offered: window.__sent.map(parse).some((m) => m.type === 'offer' && m.targetPeerId === o),
      discoveredFirst: firstDiscovered >= 0 && (firstOffer < 0 || firstDiscovered < firstOffer),
      answeredWithoutCandidates: trace.filter((t) => t.endsWith(':have-remote-offer')).map((t) => t.split(':')[0])
        .some((n) => !trace.includes(n + ':cand') && !trace.includes(n + ':cand-end')),
    };
  }, other.id);
  const [ra, rb] = [await record(a, b), await record(b, a)];
  const delivered = ra.sent.every((d) => rb.received.includes(d)) && rb.sent.every((d) => ra.received.includes(d));
  return ra.offered && rb.offered && ra.discoveredFirst && rb.discoveredFirst && delivered
    && (ra.answeredWithoutCandidates || rb.answeredWithoutCandidates);
}

async function connectedPair(a, b) {
  try {
    await pairUp(a, b);
  } catch (e) {
    if (await clientGlare(a, b).catch(() => false)) e.clientGlare = true;
    throw e;
  }
}

async function pairUp(a, b) {
  await until(`${a.id.slice(0, 8)} <-> ${b.id.slice(0, 8)} connected`, async () => {
    const [sa, sb] = [await snap(a), await snap(b)];
    return (sa.connectedPeers.includes(b.id) && sb.connectedPeers.includes(a.id)
      && sa.rtc.pcConnected > 0 && sb.rtc.pcConnected > 0 && sa.rtc.channelsOpen > 0 && sb.rtc.channelsOpen > 0)
      || { a: sa.connectedPeers, b: sb.connectedPeers, rtcA: sa.rtc, rtcB: sb.rtc, errA: sa.errors, errB: sb.errors,
        framesA: await a.page.evaluate(() => window.__frames.map((f) => f.slice(0, 160))),
        framesB: await b.page.evaluate(() => window.__frames.map((f) => f.slice(0, 160))),
        sentA: await a.page.evaluate(() => window.__sent.map((f) => f.slice(0, 100))),
        sentB: await b.page.evaluate(() => window.__sent.map((f) => f.slice(0, 100))) };
  });
}

async function directMessage(from, to, text) {
  await from.page.evaluate(([t, c]) => window.mesh.sendDirectMessage(t, c), [to.id, text]);
  await until(`message ${text}`, async () => (await snap(to)).messages.some((m) => m.content.includes(text)));
}

const hex = (c) => c.repeat(40);
const rnd = () => Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

const scenarios = {
  'two-peers': async () => {
    const s = await ourServer();
    const a = await openPeer(s.url, 'n1', rnd());
    const b = await openPeer(s.url, 'n1', rnd());
    await connectedPair(a, b);
    await directMessage(a, b, 'hello-from-a');
    await directMessage(b, a, 'hello-from-b');
    return 'data channel open, direct messages both ways';
  },
  'networks': async () => {
    const s = await ourServer();
    const a1 = await openPeer(s.url, 'alpha', rnd());
    const b1 = await openPeer(s.url, 'beta', rnd());
    const a2 = await openPeer(s.url, 'alpha', rnd());
    const b2 = await openPeer(s.url, 'beta', rnd());
    await connectedPair(a1, a2);
    await connectedPair(b1, b2);
    for (const [p, otherNet, others] of [[a1, 'beta', [b1, b2]], [a2, 'beta', [b1, b2]], [b1, 'alpha', [a1, a2]], [b2, 'alpha', [a1, a2]]]) {
      const frames = await p.page.evaluate(() => window.__frames);
      const leak = frames.find((f) => f.includes(otherNet) || others.some((o) => f.includes(o.id)));
      if (leak) throw new Error(`${p.network} peer saw a frame about the other network: ${leak}`);
      const conns = (await snap(p)).connectedPeers;
      if (conns.some((c) => others.some((o) => o.id === c))) throw new Error('connected across networks');
    }
    return 'alpha and beta pairs connected; no frame mentions the other network or its peers';
  },
  'five-peers': async () => {
    const s = await ourServer();
    const peers = [];
    for (let i = 0; i < 5; i++) peers.push(await openPeer(s.url, 'n5', rnd()));
    await until('each peer has >= 2 open channels', async () => {
      const snaps = await Promise.all(peers.map(snap));
      return snaps.every((x) => x.connectedPeers.length >= 2 && x.rtc.channelsOpen >= 2) || snaps.map((x) => x.connectedPeers.length);
    }, 60000);
    await peers[0].page.evaluate(() => window.mesh.sendMessage('broadcast-from-0'));
    await until('broadcast reached all', async () => {
      const snaps = await Promise.all(peers.slice(1).map(snap));
      return snaps.every((x) => x.messages.some((m) => m.content.includes('broadcast-from-0')));
    });
    return 'each of 5 peers has >= 2 channels; a broadcast reached the other 4';
  },
  'cross-hub-a-first': async () => crossHub(false),
  'cross-hub-b-first': async () => crossHub(true),
  'tab-close': async () => {
    const s = await ourServer();
    const a = await openPeer(s.url, 'nt', rnd());
    const b = await openPeer(s.url, 'nt', rnd());
    const cId = rnd();
    const c = await openPeer(s.url, 'nt', cId);
    await connectedPair(a, c);
    await connectedPair(b, c);
    await c.context.close(); // the tab closes
    await until('others stop listing the closed peer', async () => {
      const [sa, sb] = [await snap(a), await snap(b)];
      return (!sa.connectedPeers.includes(cId) && !sb.connectedPeers.includes(cId)) || [sa.connectedPeers, sb.connectedPeers];
    });
    const again = await openPeer(s.url, 'nt', cId); // same id, at once
    await connectedPair(a, again);
    return 'closed tab dropped by the others; the same id rejoined at once';
  },
  'status-page': async () => statusPage(),
  'wss-two-peers': async () => {
    const s = await ourServer({ TLS_CERT_FILE: process.env.TLS_TEST_CERT, TLS_KEY_FILE: process.env.TLS_TEST_KEY });
    if (!s.url.startsWith('wss://')) throw new Error('not a TLS server: ' + s.url);
    const a = await openPeer(s.url, 'tls', rnd());
    const b = await openPeer(s.url, 'tls', rnd());
    await connectedPair(a, b);
    await directMessage(a, b, 'hello-over-wss');
    await directMessage(b, a, 'hello-back-over-wss');
    return `signaling over ${s.url}: data channel open, direct messages both ways`;
  },
  'mixed-reference-dialed': async () => mixed(false),
  'mixed-reference-dials': async () => mixed(true),
};

// Hubs here link over 198.18.0.1, a non-loopback address: protected mode refuses them without a shared secret,
// as it would refuse hubs on two machines.
const HUB_SECRET = 'browser-suite-secret';

async function crossHub(bFirst) {
  const h1 = await ourServer({ IS_HUB: 'true', AUTO_CONNECT: 'false', HUB_SECRET });
  const h2 = await ourServer({ IS_HUB: 'true', BOOTSTRAP: h1.url, HUB_SECRET });
  await new Promise((r) => setTimeout(r, 500));
  const aId = hex('f'); // the higher id
  const bId = hex('1');
  let a; let b;
  if (bFirst) { b = await openPeer(h2.url, 'x', bId); a = await openPeer(h1.url, 'x', aId); }
  else { a = await openPeer(h1.url, 'x', aId); b = await openPeer(h2.url, 'x', bId); }
  await connectedPair(a, b);
  await directMessage(a, b, 'across-hubs-a');
  await directMessage(b, a, 'across-hubs-b');
  return `A on hub 1, B on hub 2 (${bFirst ? 'B joined first' : 'A joined first'}): connected, messages both ways`;
}

// The operator page of the middle hub of a chain of three: three hubs and two links drawn, and a screenshot.
async function statusPage() {
  // A chain of exactly two links: the self-healing mesh (hubMeshMinPeers 2) would close it into a triangle.
  const h1 = await ourServer({ IS_HUB: 'true', AUTO_CONNECT: 'false', HUB_SECRET });
  const h2 = await ourServer({ IS_HUB: 'true', BOOTSTRAP: h1.url, HUB_SECRET, HUB_MESH_MIN_PEERS: '0' });
  const h3 = await ourServer({ IS_HUB: 'true', BOOTSTRAP: h2.url, HUB_SECRET, HUB_MESH_MIN_PEERS: '0' });
  await openPeer(h1.url, 'ops', rnd());
  const context = await browser.newContext({ viewport: { width: 720, height: 900 } });
  const p = await context.newPage();
  await p.goto(`http://${HOST}:${h2.port}/status`);
  await until('three hubs and two links drawn', async () => {
    const drawn = await p.evaluate(() => ({
      hubs: [...document.querySelectorAll('[data-hub-id]')].map((e) => e.getAttribute('data-hub-id')),
      links: [...document.querySelectorAll('[data-link]')].map((e) => e.getAttribute('data-link')),
    }));
    const ok = drawn.hubs.length === 3 && drawn.links.length === 2
      && drawn.hubs.every((id) => /^[0-9a-f]{40}$/.test(id))
      && drawn.links.every((l) => { const [a, b] = l.split('-'); return a < b && drawn.hubs.includes(a) && drawn.hubs.includes(b); });
    return ok || drawn;
  });
  const shot = process.env.STATUS_SCREENSHOT;
  if (shot) await p.screenshot({ path: shot, fullPage: true });
  return `middle hub's /status draws 3 hubs and 2 links${shot ? '; screenshot ' + shot : ''}`;
}

async function mixed(referenceDials) {
  let ours; let ref;
  if (referenceDials) {
    ours = await ourServer({ IS_HUB: 'true', AUTO_CONNECT: 'false', HUB_SECRET });
    ref = await referenceHub(`${ours.url}/hub/${HUB_SECRET}`); // a reference hub presents the secret in the path
  } else {
    ref = await referenceHub(null);
    ours = await ourServer({ IS_HUB: 'true', BOOTSTRAP: ref.url });
  }
  await new Promise((r) => setTimeout(r, 2000)); // the reference hub starts its mesh 1 s after listening
  const a = await openPeer(ours.url, 'mix', rnd());
  const b = await openPeer(ref.url, 'mix', rnd());
  await connectedPair(a, b);
  await directMessage(a, b, 'java-to-reference');
  await directMessage(b, a, 'reference-to-java');
  return `reference hub ${referenceDials ? 'dials ours' : 'dialed by ours'}: peers connected, messages both ways`;
}

try {
  site = await staticServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE ${HOST}`],
  });
  for (const name of scenarioList.split(',')) {
    const t0 = Date.now();
    // A scenario hit by the client's glare bug (clientGlare) runs once more, and says so; any other failure fails.
    let firstError;
    for (let attempt = 1; ; attempt++) {
      let again = false;
      const retried = attempt > 1 ? { attempts: attempt, firstError } : {};
      try {
        const detail = await scenarios[name]();
        say({ scenario: name, ok: true, ms: Date.now() - t0, ...retried, detail });
      } catch (e) {
        again = e && e.clientGlare && attempt === 1;
        if (again) firstError = String(e && e.stack || e).slice(0, 3000);
        else say({ scenario: name, ok: false, ms: Date.now() - t0, ...retried, detail: String(e && e.stack || e) });
      } finally {
        for (const ctx of browser.contexts()) await ctx.close().catch(() => {});
        stopAll();
      }
      if (!again) break;
    }
  }
} finally {
  stopAll();
  if (browser) await browser.close().catch(() => {});
  if (site) site.close();
}
process.exit(0);

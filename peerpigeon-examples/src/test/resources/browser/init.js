// Injected before any page script. Only host candidates (no public STUN: this namespace has no internet),
// and a record of what the browser objects report and of every signaling frame the page receives and sends.
(() => {
  window.__rtc = { pcConnected: 0, channelsOpen: 0 };
  window.__frames = [];
  window.__sent = [];
  const OrigPC = window.RTCPeerConnection;
  function PatchedPC(config, ...rest) {
    const pc = new OrigPC(Object.assign({}, config || {}, { iceServers: [] }), ...rest);
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') window.__rtc.pcConnected++;
    });
    // For a failed run's report: how each connection's ICE went, and how many local candidates it found.
    const pcNo = (window.__rtc.pcs = (window.__rtc.pcs || 0) + 1);
    const trace = (what) => (window.__rtc.trace = window.__rtc.trace || []).push(pcNo + ':' + what);
    pc.addEventListener('iceconnectionstatechange', () => trace('ice-' + pc.iceConnectionState));
    pc.addEventListener('signalingstatechange', () => trace(pc.signalingState));
    pc.addEventListener('icecandidate', (e) => trace(e.candidate ? 'cand' : 'cand-end'));
    const watch = (ch) => ch.addEventListener('open', () => window.__rtc.channelsOpen++);
    pc.addEventListener('datachannel', (e) => watch(e.channel));
    const origCreate = pc.createDataChannel.bind(pc);
    pc.createDataChannel = (...args) => { const ch = origCreate(...args); watch(ch); return ch; };
    return pc;
  }
  PatchedPC.prototype = OrigPC.prototype;
  Object.setPrototypeOf(PatchedPC, OrigPC);
  window.RTCPeerConnection = PatchedPC;
  const OrigWS = window.WebSocket;
  function PatchedWS(url, protocols) {
    const ws = protocols === undefined ? new OrigWS(url) : new OrigWS(url, protocols);
    ws.addEventListener('message', (e) => { if (typeof e.data === 'string') window.__frames.push(e.data); });
    const origSend = ws.send.bind(ws);
    ws.send = (d) => { if (typeof d === 'string') window.__sent.push(d); return origSend(d); };
    return ws;
  }
  PatchedWS.prototype = OrigWS.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) PatchedWS[k] = OrigWS[k];
  window.WebSocket = PatchedWS;
})();

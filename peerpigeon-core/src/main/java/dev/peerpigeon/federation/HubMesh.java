package dev.peerpigeon.federation;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.protocol.RouteInfo;
import dev.peerpigeon.signaling.Federation;
import dev.peerpigeon.signaling.PeerRegistry;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingService;
import dev.peerpigeon.transport.Connection;
import dev.peerpigeon.transport.LogThrottle;
import dev.peerpigeon.transport.OutboundLink;
import dev.peerpigeon.transport.PreparedFrame;
import dev.peerpigeon.transport.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mesh connector: hub links in and out, the remote-peer directory, routing and de-duplication.
 *
 * <p><b>Protocol.</b> With reference JS hubs we speak the reference's link protocol (PROTOCOL.md 6.2-6.6).
 * Between Java hubs (both advertise {@value #CAPABILITY}) we add, at the top level of the reference's own
 * frames, {@code originHub}/{@code seq} on directory updates and {@code msgId}/{@code ttl}/{@code targetHub}
 * on signals, plus one frame of our own, {@code hub-routes}:
 * <ul>
 *   <li>Directory: every local join/leave gets a sequence number from its origin hub and is flooded over
 *   Java links; a hub applies and forwards an update only when it is newer than what it has, so each hub
 *   applies each update once and its clients hear of each peer once. A new link exchanges full directories.</li>
 *   <li>Routes: a path vector per hub. Each hub sends its neighbours its best path to every hub it can reach;
 *   paths containing the receiver are ignored (no loops). When a hub becomes unreachable its peers are dropped
 *   (no ghosts after partitions or crashes).</li>
 *   <li>Signals go toward the hub that hosts the target (next hop from the route table); only when no route
 *   is known are they flooded, with {@code msgId} de-duplication.</li>
 * </ul>
 *
 * <p><b>Threads.</b> Directory and route changes run on the single "mesh" thread, which owns the route
 * computation and the dialers. The directory is a concurrent map read lock-free by transport threads
 * (signal routing never waits for the mesh thread); remote peers are inserted under the network's registry
 * lock so a local joiner sees each exactly once. Links are a copy-on-write list.
 */
public final class HubMesh implements Federation {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);

    public static final String CAPABILITY = "pp-route-v1";
    /** Response header of a Java hub's 101: {@code <hubId> <namespace> <capability>}. */
    public static final String HUB_HEADER = "X-PeerPigeon-Hub";
    static final int MAX_TTL = 32;
    /** A link that stayed up this long resets its redial backoff. */
    static final long HEALTHY_MILLIS = 10_000;

    private final MeshSettings settings;
    private final SignalingService signaling;
    private final PeerRegistry registry;
    private final MeshObserver observer;
    private final ScheduledExecutorService exec;
    private final AtomicLong seq = new AtomicLong(System.currentTimeMillis() * 1000);
    private final AtomicInteger linkCounter = new AtomicInteger();
    private final DedupWindow seenSignals = new DedupWindow(200_000);

    private final List<Link> links = new CopyOnWriteArrayList<>();
    /** network -> peerId -> remote peer. Written on the mesh thread under the network lock. */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, Remote>> directory = new ConcurrentHashMap<>();
    /** origin|peer -> seq of the last withdrawal, so a late announce cannot resurrect a departed peer. */
    private final ConcurrentHashMap<String, Tombstone> tombstones = new ConcurrentHashMap<>();
    /** network|peer -> sequence number of the local peer's current announce. */
    private final ConcurrentHashMap<String, Long> localSeqs = new ConcurrentHashMap<>();
    private final List<Dialer> dialers = new CopyOnWriteArrayList<>();
    private volatile Map<String, Route> routes = Map.of();
    private final AtomicInteger remoteCount = new AtomicInteger();
    private volatile long lastFullWarning;
    private final LogThrottle taskFailureLog = LogThrottle.perSecond();
    private volatile int boundPort;
    private volatile boolean stopped;

    record Remote(String network, String peerId, String originHub, long seq, String discovery, Link learnedFrom,
                  long updatedAt) {
    }

    record Tombstone(long seq, long at) {
    }

    /** Best path to a hub: first hop and the full path from this hub. */
    record Route(Link link, List<String> path) {
    }

    /** One hub link, inbound or outbound. */
    final class Link {
        final String id;
        final Connection conn;
        final boolean outbound;
        final URI uri;
        final String remoteHubId;
        final boolean smart;
        final long connectedAt = System.currentTimeMillis();
        final String announceData;
        volatile long lastActivity = connectedAt;
        /** Set once the link is removed; lets the hot path skip a list scan. */
        volatile boolean down;
        /** A refresh of a reference hub's view is scheduled. Mesh thread only. */
        boolean refreshPending;
        /** Neighbour's advertised paths (hubId -> path starting at the neighbour). Mesh thread only. */
        Map<String, List<String>> advertised = Map.of();

        Link(Connection conn, boolean outbound, URI uri, String remoteHubId, boolean smart, String announceData) {
            this.id = (outbound ? "out-" : "in-") + linkCounter.incrementAndGet();
            this.conn = conn;
            this.outbound = outbound;
            this.uri = uri;
            this.remoteHubId = remoteHubId;
            this.smart = smart;
            this.announceData = announceData;
        }

        @Override
        public String toString() {
            return (outbound ? "link to " + uri : "link from hub " + PeerSession.shortId(remoteHubId))
                    + (smart ? "" : " (reference hub)");
        }
    }

    /** Redial state of one outbound URI. Mesh thread only, except the volatile fields read by stats. */
    final class Dialer {
        final URI uri;
        /** The URI as logs, stats and events show it (credentials masked). */
        final URI shown;
        /** False for the implicit default bootstrap: the secret goes only to hubs the operator named. */
        final boolean explicit;
        volatile int failures;
        volatile int attemptNumber;
        volatile long lastAttempt;
        volatile long nextAttemptAt;
        volatile Link link;
        volatile boolean abandoned;
        volatile boolean self;
        volatile OutboundLink pending;
        /** The refusal for missing hub authentication was logged once. */
        volatile boolean warnedAuth;

        Dialer(URI uri, boolean explicit) {
            this.uri = uri;
            this.shown = Redaction.uri(uri);
            this.explicit = explicit;
        }
    }

    public HubMesh(MeshSettings settings, SignalingService signaling, MeshObserver observer) {
        this.settings = settings;
        this.signaling = signaling;
        this.registry = signaling.registry();
        this.observer = observer;
        this.exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "peerpigeon-mesh-" + PeerSession.shortId(settings.hubId()));
            t.setDaemon(true);
            return t;
        });
    }

    public String hubId() {
        return settings.hubId();
    }

    /** Headers of every 101 response: lets a dialing Java hub check identity and namespace before it announces. */
    public Map<String, String> upgradeHeaders() {
        return Map.of(HUB_HEADER, settings.hubId() + " " + settings.namespace() + " " + CAPABILITY);
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts dialing (after the server bound {@code port}) and the periodic sweep. */
    public void start(int port) {
        this.boundPort = port;
        List<URI> targets = new ArrayList<>(settings.bootstrap());
        if (targets.isEmpty() && settings.defaultBootstrapPort() > 0 && port != settings.defaultBootstrapPort()) {
            String host = dialableHost(settings.host());
            URI def = URI.create("ws://" + host + ":" + settings.defaultBootstrapPort());
            log.info("No bootstrap hubs specified, trying default: {}", def);
            targets.add(def);
        }
        boolean explicit = !settings.bootstrap().isEmpty();
        if (settings.autoConnect()) {
            for (URI uri : targets) {
                if (isSelf(uri)) {
                    log.info("Skipping bootstrap hub {}: it is this hub", Redaction.uri(uri));
                    continue;
                }
                Dialer d = new Dialer(uri, explicit);
                dialers.add(d);
                exec.execute(() -> dial(d));
            }
        } else if (!targets.isEmpty()) {
            log.info("autoConnect is off: not dialing {} bootstrap hub(s)", targets.size());
        }
        exec.scheduleWithFixedDelay(this::sweep, settings.sweepMillis(), settings.sweepMillis(), TimeUnit.MILLISECONDS);
    }

    /** Closes every link ("Hub shutting down") and stops redialing. Bounded. */
    public void stop() {
        stopped = true;
        for (Link l : links) {
            l.conn.close(1000, "Hub shutting down");
        }
        for (Dialer d : dialers) {
            OutboundLink p = d.pending;
            if (p != null) {
                p.close(1000, "Hub shutting down");
            }
        }
        exec.shutdownNow();
        try {
            exec.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Dials {@code uri} now (in addition to the bootstrap list), with the same redial policy. */
    public void connectToHub(URI uri) {
        Dialer d = new Dialer(uri, true);
        dialers.add(d);
        exec.execute(() -> dial(d));
    }

    private void post(Runnable r) {
        if (stopped) {
            return;
        }
        try {
            exec.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    // Tasks mostly apply what a link sent: one line a second, the stack trace at DEBUG.
                    int suppressed = taskFailureLog.tryAcquire();
                    if (suppressed >= 0) {
                        log.warn("Hub mesh task failed: {}{}", e.toString(), LogThrottle.suffix(suppressed));
                    }
                    log.debug("Hub mesh task failure", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException ignored) {
            // stopping
        }
    }

    // ------------------------------------------------------------------ dialing (mesh thread)

    private void dial(Dialer d) {
        if (stopped || d.abandoned || d.self) {
            return;
        }
        d.attemptNumber++;
        d.lastAttempt = System.currentTimeMillis();
        URI target = dialUri(d.uri, d.explicit);
        log.debug("Dialing hub {} (attempt {})", d.shown, d.attemptNumber);
        OutboundLink dialed = OutboundLink.dial(target, upgradeHeaders(), settings.maxFrameSize(), (int) Math.max(1, settings.pingMillis() / 1000),
                settings.maxQueuedFrames(), new OutboundLink.Listener() {
                    private volatile Link link;

                    @Override
                    public void onOpen(OutboundLink conn, Map<String, String> headers) {
                        link = outboundOpened(d, conn, headers);
                    }

                    @Override
                    public void onMessage(OutboundLink conn, String text) {
                        Link l = link;
                        if (l != null) {
                            onLinkFrame(l, text);
                        }
                    }

                    @Override
                    public void onClose(OutboundLink conn, int code, String reason, boolean remote) {
                        Link l = link;
                        post(() -> outboundClosed(d, l, code, reason));
                    }
                });
        d.pending = dialed;
        // A hub that accepts TCP but never answers the upgrade must not hold this dialer forever: abandon the
        // attempt (its onClose then redials with the usual backoff).
        long timeout = settings.handshakeMillis();
        try {
            exec.schedule(() -> {
                if (d.pending == dialed && !dialed.isOpen() && d.link == null) {
                    log.info("Hub {} did not answer the upgrade within {} ms (attempt {}); redialing", d.shown, timeout,
                            d.attemptNumber);
                    dialed.abortHandshake("Upgrade not answered within " + timeout + " ms");
                }
            }, timeout, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            dialed.abortHandshake("Hub shutting down");
        }
    }

    /** Called on the link's reader thread: identifies the remote hub, announces, then hands over to the mesh thread. */
    private Link outboundOpened(Dialer d, OutboundLink conn, Map<String, String> headers) {
        String header = headers.get(HUB_HEADER);
        String remoteId;
        boolean smart;
        if (header != null) {
            String[] parts = header.trim().split("\\s+");
            remoteId = parts.length > 0 ? parts[0] : "";
            String remoteNs = parts.length > 1 ? parts[1] : "";
            smart = header.contains(CAPABILITY) && PeerId.isValid(remoteId);
            if (remoteId.equals(settings.hubId())) {
                log.info("Bootstrap hub {} is this hub itself; not dialing it again", d.shown);
                d.self = true;
                conn.close(1000, "Self connection");
                return null;
            }
            if (!remoteNs.equals(settings.namespace())) {
                log.warn("Refusing hub link to {}: it is in hub mesh namespace '{}', this hub is in '{}'",
                        d.shown, remoteNs, settings.namespace());
                conn.close(1008, "Hub namespace mismatch");
                return null;
            }
        } else {
            // A reference JS hub: it does not tell its id; use a synthetic one for this connection.
            remoteId = PeerId.generate();
            smart = false;
        }
        Link link = new Link(conn, true, d.shown, remoteId, smart, null);
        conn.send(announceFrame());
        post(() -> {
            d.link = link;
            linkUp(link);
            log.info("Connected to bootstrap hub {}{}", d.shown, smart ? "" : " (reference hub)");
            observer.bootstrapConnected(d.shown);
        });
        return link;
    }

    private void outboundClosed(Dialer d, Link link, int code, String reason) {
        d.pending = null;
        if (link != null) {
            d.link = null;
            linkDown(link);
            log.info("Disconnected from bootstrap hub {}: {} {}", d.shown, code, reason);
            observer.bootstrapDisconnected(d.shown, code, reason);
            if (System.currentTimeMillis() - link.connectedAt >= HEALTHY_MILLIS) {
                d.failures = 0;
            }
        } else if (reason != null && reason.contains("403") && !d.warnedAuth) {
            d.warnedAuth = true; // once per dialer: it keeps redialing with backoff
            log.warn("Hub {} refused the link (HTTP 403, hub authentication required): set the same HUB_SECRET on"
                    + " every hub and list this one in the bootstrap hubs (the implicit default bootstrap never carries"
                    + " the secret), or ALLOW_UNAUTHENTICATED_HUBS=true on a hub in protected mode", d.shown);
        } else {
            log.debug("Could not connect to hub {}: {} {}", d.shown, code, reason);
        }
        if (stopped || d.self) {
            return;
        }
        if (reason != null && reason.contains("508")) {
            log.info("Bootstrap hub {} refused us as its own connection; not dialing it again", d.shown);
            d.self = true;
            return;
        }
        d.failures++;
        if (settings.maxReconnectAttempts() > 0 && d.failures > settings.maxReconnectAttempts()) {
            d.abandoned = true;
            log.warn("Giving up on hub {} after {} failed attempts in a row (maxReconnectAttempts)", d.shown,
                    settings.maxReconnectAttempts());
            observer.bootstrapAbandoned(d.shown, d.failures - 1);
            return;
        }
        long base = settings.reconnectBaseMillis();
        long delay = Math.min(settings.reconnectMaxMillis(), base << Math.min(20, Math.max(0, d.failures - 1)));
        delay = (long) (delay * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        d.nextAttemptAt = System.currentTimeMillis() + delay;
        log.debug("Redialing hub {} in {} ms", d.shown, delay);
        exec.schedule(() -> dial(d), delay, TimeUnit.MILLISECONDS);
    }

    /** {@link #dialUri(URI, boolean)} of an explicitly configured hub (it carries the secret). */
    URI dialUri(URI uri) {
        return dialUri(uri, true);
    }

    /**
     * ws(s) URI with {@code peerId} (and, when {@code withSecret} and one is configured, {@code hubSecret}) set in
     * the query, whatever query it already has.
     */
    URI dialUri(URI uri, boolean withSecret) {
        String scheme = uri.getScheme().toLowerCase();
        scheme = scheme.equals("http") ? "ws" : scheme.equals("https") ? "wss" : scheme;
        StringBuilder query = new StringBuilder();
        if (uri.getRawQuery() != null) {
            for (String part : uri.getRawQuery().split("&")) {
                if (!part.isEmpty() && !part.startsWith("peerId=") && !part.equals("peerId") && !part.startsWith("hubSecret=")) {
                    query.append(query.length() == 0 ? "" : "&").append(part);
                }
            }
        }
        query.append(query.length() == 0 ? "" : "&").append("peerId=").append(settings.hubId());
        if (withSecret && settings.secret() != null) {
            query.append("&hubSecret=").append(URLEncoder.encode(settings.secret(), StandardCharsets.UTF_8));
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String authority = uri.getRawAuthority();
        return URI.create(scheme + "://" + authority + path + "?" + query);
    }

    /** True when {@code uri} points at this hub's own bound socket (by address, not by host string). */
    boolean isSelf(URI uri) {
        int port = uri.getPort() > 0 ? uri.getPort()
                : ("wss".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80);
        if (port != boundPort) {
            return false;
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(uri.getHost())) {
                if (a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null) {
                    return true;
                }
            }
        } catch (Exception e) {
            return false;
        }
        return false;
    }

    private static String dialableHost(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? "127.0.0.1" : host;
    }

    private String announceFrame() {
        JsonObject data = new JsonObject();
        data.addProperty("isHub", true);
        data.addProperty("port", boundPort);
        data.addProperty("host", settings.host());
        JsonArray caps = new JsonArray();
        caps.add("signaling");
        caps.add("relay");
        caps.add(CAPABILITY);
        data.add("capabilities", caps);
        data.addProperty("timestamp", System.currentTimeMillis());
        JsonObject frame = new JsonObject();
        frame.addProperty("type", "announce");
        frame.addProperty("networkName", settings.namespace());
        frame.add("data", data);
        return frame.toString();
    }

    // ------------------------------------------------------------------ inbound links (transport threads)

    @Override
    public boolean onHubAnnounce(PeerSession session, String networkName, boolean dataIsHub, String data) {
        boolean inNamespace = networkName.equals(settings.namespace());
        if (!inNamespace && !dataIsHub) {
            return false;
        }
        if (!session.hubAuthorized()) {
            // Before the namespace check: an unauthorized dialer learns nothing about this mesh.
            signaling.hubAccess().refuse(session, networkName);
            return true;
        }
        if (!inNamespace) {
            log.warn("Refused hub link from {} ({}): it announced hub mesh namespace '{}', this hub is in '{}'",
                    PeerSession.shortId(session.peerId()), session.connection().remoteAddress(), networkName,
                    settings.namespace());
            session.connection().send(MessageCodec.error("Hub namespace mismatch: this hub is in namespace '"
                    + settings.namespace() + "', you announced '" + networkName + "'", networkName, System.currentTimeMillis()));
            session.connection().close(1008, "Hub namespace mismatch");
            return true;
        }
        if (session.hubLink() != null) {
            return true; // re-announce of an existing link
        }
        boolean smart = data.contains(CAPABILITY);
        Link link = new Link(session.connection(), false, null, session.peerId(), smart, data);
        session.hubLink(link);
        post(() -> {
            linkUp(link);
            log.info("Hub {} linked in{}", PeerSession.shortId(link.remoteHubId), smart ? "" : " (reference hub)");
        });
        return true;
    }

    @Override
    public void onHubFrame(PeerSession session, Inbound message) {
        if (session.hubLink() instanceof Link link) {
            handleFrame(link, message);
        }
    }

    @Override
    public void onHubClosed(PeerSession session) {
        if (session.hubLink() instanceof Link link) {
            post(() -> linkDown(link));
        }
    }

    private void onLinkFrame(Link link, String text) {
        Inbound msg;
        try {
            msg = MessageCodec.parse(text);
        } catch (Exception e) {
            log.debug("Unparseable frame on {}: {}", link, e.getMessage());
            return;
        }
        handleFrame(link, msg);
    }

    // ------------------------------------------------------------------ link frames (any thread)

    private void handleFrame(Link link, Inbound msg) {
        link.lastActivity = System.currentTimeMillis();
        String type = msg.type();
        if (type == null) {
            return;
        }
        switch (type) {
            case "peer-discovered" -> onRemoteDiscovered(link, msg);
            case "peer-disconnected" -> onRemoteDisconnected(link, msg);
            case "hub-routes" -> {
                if (link.smart) {
                    String data = msg.data();
                    post(() -> applyRoutes(link, data));
                }
            }
            case "ping" -> sendOn(link, MessageCodec.pong(link.remoteHubId, System.currentTimeMillis()));
            case "goodbye" -> {
                if (msg.targetPeerId() != null) {
                    onRemoteSignal(link, msg);
                }
            }
            case "connected", "pong", "announce", "peer-announce-relay", "client-signal-relay" -> {
                // nothing to do (P2P-mode relays of the reference are dead code in 1.1.3)
            }
            case "error" -> log.debug("{} answered error: {}", link, msg.data());
            default -> {
                if (SignalingService.RELAYED_TYPES.contains(type)) {
                    onRemoteSignal(link, msg);
                } else {
                    log.debug("Ignoring '{}' on {}", type, link);
                }
            }
        }
    }

    private void onRemoteDiscovered(Link link, Inbound msg) {
        JsonObject data = parseObject(msg.data());
        if (data == null || !data.has("peerId") || !data.get("peerId").isJsonPrimitive()) {
            return;
        }
        String peerId = data.get("peerId").getAsString();
        if (!PeerId.isValid(peerId) || peerId.equals(settings.hubId())) {
            return;
        }
        boolean isHub = data.has("isHub") && data.get("isHub").isJsonPrimitive() && data.get("isHub").getAsBoolean();
        if (isHub) {
            if (!peerId.equals(link.remoteHubId)) {
                observer.hubDiscovered(peerId, link.toString(), msg.data());
            }
            return;
        }
        String net = msg.networkName() == null || msg.networkName().isEmpty() ? PeerRegistry.DEFAULT_NETWORK : msg.networkName();
        RouteInfo r = msg.route();
        String origin;
        long s;
        if (link.smart && r != null && r.originHub() != null && r.seq() >= 0) {
            origin = r.originHub();
            s = r.seq();
        } else {
            origin = link.remoteHubId;
            s = seq.incrementAndGet();
        }
        String discovery = discoveryOf(peerId, data);
        post(() -> applyAnnounce(link, net, peerId, origin, s, discovery));
    }

    private void onRemoteDisconnected(Link link, Inbound msg) {
        JsonObject data = parseObject(msg.data());
        if (data == null || !data.has("peerId") || !data.get("peerId").isJsonPrimitive()) {
            return;
        }
        String peerId = data.get("peerId").getAsString();
        boolean goodbye = data.has("reason") && data.get("reason").isJsonPrimitive()
                && "goodbye".equals(data.get("reason").getAsString());
        RouteInfo r = msg.route();
        String net = msg.networkName();
        if (link.smart && r != null && r.originHub() != null && r.seq() >= 0 && net != null) {
            post(() -> applyWithdraw(link, net, peerId, r.originHub(), r.seq(), goodbye));
        } else {
            // Reference hubs send scoped and unscoped notices; without a network look in every network.
            post(() -> {
                for (String n : net != null ? List.of(net) : new ArrayList<>(directory.keySet())) {
                    Remote e = remoteIn(n, peerId);
                    if (e != null && e.learnedFrom == link) {
                        applyWithdraw(link, n, peerId, e.originHub, e.seq + 1, goodbye);
                    }
                }
            });
        }
    }

    private void onRemoteSignal(Link link, Inbound msg) {
        String target = msg.targetPeerId();
        String from = msg.fromPeerId();
        if (!PeerId.isValid(target) || !PeerId.isValid(from)) {
            return;
        }
        if (target.equals(settings.hubId())) {
            return; // WebRTC attempts at our hub id from a reference hub's mesh client: we have no WebRTC
        }
        String net = msg.networkName() == null || msg.networkName().isEmpty() ? PeerRegistry.DEFAULT_NETWORK : msg.networkName();
        RouteInfo r = msg.route();
        // Only flooded signals carry a msgId (routed ones follow loop-free paths, bounded by ttl).
        String msgId = r != null ? r.msgId() : null;
        if (msgId != null && !seenSignals.firstTime(msgId)) {
            return;
        }
        if (signaling.deliverFromHub(msg.type(), msg.data(), from, target, net)) {
            return;
        }
        int ttl = (r != null && r.ttl() >= 0 ? r.ttl() : MAX_TTL) - 1;
        if (ttl <= 0) {
            log.debug("Dropping {} for {}: ttl exhausted", msg.type(), PeerSession.shortId(target));
            return;
        }
        String origin = r != null && r.originHub() != null ? r.originHub() : settings.hubId();
        forwardSignal(msg.type(), msg.data(), from, target, net, msgId, ttl, origin, link);
    }

    // ------------------------------------------------------------------ Federation hooks (transport threads)

    @Override
    public void localPeerJoined(PeerSession session, String networkName) {
        if (session.isHub()) {
            return;
        }
        long s = seq.incrementAndGet();
        localSeqs.put(key(networkName, session.peerId()), s);
        floodUpdate("peer-discovered", session.discoveryData(), networkName, settings.hubId(), s, null);
    }

    @Override
    public void localPeerLeft(PeerSession session, String networkName, boolean goodbye) {
        if (session.isHub()) {
            return;
        }
        localSeqs.remove(key(networkName, session.peerId()));
        floodUpdate("peer-disconnected", departure(session.peerId(), goodbye), networkName, settings.hubId(),
                seq.incrementAndGet(), null);
    }

    /**
     * Sends a directory update to every link but {@code except}: with {@code originHub}/{@code seq} to Java
     * hubs, plain to reference hubs. A reference hub handles {@code peer-disconnected} only on its outbound
     * link (to us); on its inbound side it would answer "error" (PROTOCOL.md 6.3), so it gets none there.
     */
    private void floodUpdate(String type, String data, String net, String origin, long s, Link except) {
        if (links.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        String smartFrame = MessageCodec.notice(type, data, net, null, now, new RouteInfo(origin, null, -1, s, null));
        String plainFrame = MessageCodec.notice(type, data, net, null, now, null);
        boolean plainToOutbound = type.equals("peer-discovered");
        for (Link l : links) {
            if (l == except) {
                continue;
            }
            if (l.smart) {
                sendOn(l, smartFrame);
            } else if (plainToOutbound || !l.outbound) {
                sendOn(l, plainFrame);
            }
        }
    }

    private static String departure(String peerId, boolean goodbye) {
        JsonObject data = new JsonObject();
        data.addProperty("peerId", peerId);
        data.addProperty("isHub", false);
        data.addProperty("reason", goodbye ? "goodbye" : "disconnected");
        return data.toString();
    }

    @Override
    public boolean routeSignal(String type, String data, String fromPeerId, String targetPeerId, String networkName) {
        if (remoteIn(networkName, targetPeerId) == null) {
            return false;
        }
        return forwardSignal(type, data, fromPeerId, targetPeerId, networkName, null, MAX_TTL, settings.hubId(), null);
    }

    @Override
    public void sendRemotePeers(PeerSession session, String networkName) {
        Map<String, Remote> net = directory.get(networkName);
        if (net == null) {
            return;
        }
        long now = System.currentTimeMillis();
        for (Remote r : net.values()) {
            if (!r.peerId.equals(session.peerId())) {
                session.connection().send(MessageCodec.notice("peer-discovered", r.discovery, networkName,
                        session.peerId(), now, null));
            }
        }
    }

    /**
     * Sends a signal toward the hub hosting {@code target}; floods over Java links (with a msgId, so
     * every hub delivers it once) only when no route is known. {@code msgId} is the id of a signal
     * that is already being flooded, else null.
     */
    private boolean forwardSignal(String type, String data, String from, String target, String net, String msgId,
                                  int ttl, String origin, Link incoming) {
        Remote r = remoteIn(net, target);
        long now = System.currentTimeMillis();
        if (r != null && msgId == null) {
            Route route = routes.get(r.originHub);
            Link next = route != null ? route.link : r.learnedFrom;
            if (next != null && next != incoming && next.conn.isOpen() && !next.down) {
                if (next.smart) {
                    sendOn(next, MessageCodec.relay(type, data, from, target, net, now,
                            new RouteInfo(origin, null, ttl, -1, r.originHub)));
                } else {
                    sendOn(next, MessageCodec.relay(type, data, from, target, net, now, null));
                }
                return true;
            }
        }
        boolean sent = false;
        if (msgId == null) {
            msgId = newMsgId();
            seenSignals.firstTime(msgId);
        }
        String frame = MessageCodec.relay(type, data, from, target, net, now, new RouteInfo(origin, msgId, ttl, -1, null));
        for (Link l : links) {
            if (l.smart && l != incoming) {
                sendOn(l, frame);
                sent = true;
            }
        }
        return sent;
    }

    // ------------------------------------------------------------------ directory (mesh thread)

    private void applyAnnounce(Link from, String net, String peerId, String origin, long s, String discovery) {
        if (origin.equals(settings.hubId()) || !links.contains(from)) {
            return;
        }
        PeerSession local = registry.get(peerId);
        if (local != null && net.equals(local.networkName())) {
            return; // the peer is here; a stale copy elsewhere does not override it
        }
        Tombstone t = tombstones.get(origin + "|" + peerId);
        if (t != null && t.seq >= s) {
            return;
        }
        if (remoteIn(net, peerId) == null && remoteCount.get() >= settings.maxRemotePeers()) {
            long now = System.currentTimeMillis();
            if (now - lastFullWarning > 60_000) {
                lastFullWarning = now;
                log.warn("Remote peer directory full ({} peers, maxRemotePeers): ignoring new remote peers", remoteCount.get());
            }
            return;
        }
        boolean[] changed = {false};
        registry.withNetwork(net, members -> {
            ConcurrentHashMap<String, Remote> map = directory.computeIfAbsent(net, k -> new ConcurrentHashMap<>());
            Remote existing = map.get(peerId);
            if (existing != null && (existing.seq > s || (existing.originHub.equals(origin) && existing.seq == s))) {
                return;
            }
            map.put(peerId, new Remote(net, peerId, origin, s, discovery, from, System.currentTimeMillis()));
            changed[0] = true;
            if (existing == null) {
                remoteCount.incrementAndGet();
            }
            if (existing == null) {
                PreparedFrame notice = PreparedFrame.of(
                        MessageCodec.notice("peer-discovered", discovery, net, null, System.currentTimeMillis(), null));
                for (PeerSession m : members) {
                    if (m.connection().isOpen() && m.hubLink() == null) {
                        m.connection().send(notice);
                    }
                }
            }
        });
        if (changed[0] && !from.smart && from.outbound) {
            scheduleReferenceRefresh(from);
        }
        if (changed[0]) {
            floodUpdate("peer-discovered", discovery, net, origin, s, from);
        }
    }

    private void applyWithdraw(Link from, String net, String peerId, String origin, long s, boolean goodbye) {
        String tkey = origin + "|" + peerId;
        Tombstone old = tombstones.get(tkey);
        if (old == null || old.seq < s) {
            tombstones.put(tkey, new Tombstone(s, System.currentTimeMillis()));
        }
        boolean removed = removeRemote(net, peerId, e -> e.originHub.equals(origin) && e.seq < s, goodbye);
        if (removed) {
            floodUpdate("peer-disconnected", departure(peerId, goodbye), net, origin, s, from);
        }
    }

    /** Removes a remote peer if {@code condition} holds, telling local members; true when removed. */
    private boolean removeRemote(String net, String peerId, java.util.function.Predicate<Remote> condition, boolean goodbye) {
        boolean[] removed = {false};
        registry.withNetwork(net, members -> {
            ConcurrentHashMap<String, Remote> map = directory.get(net);
            Remote e = map == null ? null : map.get(peerId);
            if (e == null || !condition.test(e)) {
                return;
            }
            map.remove(peerId, e);
            remoteCount.decrementAndGet();
            if (map.isEmpty()) {
                directory.remove(net, map);
            }
            removed[0] = true;
            JsonObject data = new JsonObject();
            data.addProperty("peerId", peerId);
            data.addProperty("isHub", false);
            PreparedFrame notice = PreparedFrame.of(
                    MessageCodec.notice("peer-disconnected", data.toString(), net, null, System.currentTimeMillis(), null));
            for (PeerSession m : members) {
                if (m.connection().isOpen() && m.hubLink() == null) {
                    m.connection().send(notice);
                }
            }
        });
        if (removed[0] && goodbye) {
            signaling.sendGoodbyeToClosest(peerId, net, "{\"peerId\":" + MessageCodec.quote(peerId) + ",\"reason\":\"goodbye\"}",
                    null, System.currentTimeMillis());
        }
        return removed[0];
    }

    private Remote remoteIn(String net, String peerId) {
        Map<String, Remote> map = directory.get(net);
        return map == null ? null : map.get(peerId);
    }

    // ------------------------------------------------------------------ links and routes (mesh thread)

    private void linkUp(Link link) {
        if (stopped) {
            link.conn.close(1000, "Hub shutting down");
            return;
        }
        if (!link.conn.isOpen()) {
            return;
        }
        links.add(link);
        // Full directory exchange: our local peers and everything we know of other hubs.
        sendDirectory(link, System.currentTimeMillis());
        if (link.smart) {
            sendOn(link, routesFrame(routes));
        }
        recomputeRoutes();
        observer.hubRegistered(link.remoteHubId, links.size());
    }

    private void sendRemoteDump(Link link) {
        long now = System.currentTimeMillis();
        for (Map.Entry<String, ConcurrentHashMap<String, Remote>> net : directory.entrySet()) {
            for (Remote r : net.getValue().values()) {
                if (r.learnedFrom == link) {
                    continue;
                }
                if (link.smart) {
                    sendOn(link, MessageCodec.notice("peer-discovered", r.discovery, r.network, null, now,
                            new RouteInfo(r.originHub, null, -1, r.seq, null)));
                } else {
                    sendOn(link, MessageCodec.notice("peer-discovered", r.discovery, r.network,
                            link.outbound ? null : link.remoteHubId, now, null));
                }
            }
        }
    }

    private void linkDown(Link link) {
        link.down = true;
        if (!links.remove(link)) {
            return;
        }
        log.info("Hub link down: {}", link);
        recomputeRoutes();
        // Peers learned from a reference hub over this link are gone with it.
        for (Map.Entry<String, ConcurrentHashMap<String, Remote>> net : directory.entrySet()) {
            for (Remote r : new ArrayList<>(net.getValue().values())) {
                if (r.learnedFrom == link && !routes.containsKey(r.originHub)) {
                    removeRemote(r.network, r.peerId, e -> e == r, false);
                }
            }
        }
        observer.hubUnregistered(link.remoteHubId, links.size());
    }

    private void applyRoutes(Link link, String data) {
        if (!links.contains(link)) {
            return;
        }
        JsonObject obj = parseObject(data);
        if (obj == null || !obj.has("routes") || !obj.get("routes").isJsonObject()) {
            return;
        }
        Map<String, List<String>> adv = new HashMap<>();
        for (Map.Entry<String, JsonElement> e : obj.getAsJsonObject("routes").entrySet()) {
            if (!e.getValue().isJsonArray() || !PeerId.isValid(e.getKey())) {
                continue;
            }
            List<String> path = new ArrayList<>();
            for (JsonElement h : e.getValue().getAsJsonArray()) {
                path.add(h.getAsString());
            }
            if (path.size() <= MAX_TTL) {
                adv.put(e.getKey(), path);
            }
        }
        link.advertised = adv;
        recomputeRoutes();
    }

    /** Path-vector route selection; on change, tell the neighbours and drop peers of unreachable hubs. */
    private void recomputeRoutes() {
        Map<String, Route> next = new HashMap<>();
        for (Link l : links) {
            consider(next, l.remoteHubId, l, List.of(settings.hubId(), l.remoteHubId));
            if (!l.smart) {
                continue;
            }
            for (Map.Entry<String, List<String>> e : l.advertised.entrySet()) {
                List<String> path = e.getValue();
                if (path.contains(settings.hubId()) || e.getKey().equals(settings.hubId())) {
                    continue; // would loop through us
                }
                List<String> full = new ArrayList<>(path.size() + 1);
                full.add(settings.hubId());
                full.addAll(path);
                consider(next, e.getKey(), l, full);
            }
        }
        Map<String, Route> before = routes;
        if (samePaths(before, next)) {
            return;
        }
        routes = Map.copyOf(next);
        String frame = routesFrame(routes);
        for (Link l : links) {
            if (l.smart) {
                sendOn(l, frame);
            }
        }
        Set<String> lost = new HashSet<>(before.keySet());
        lost.removeAll(next.keySet());
        if (!lost.isEmpty()) {
            purgeOrigins(lost);
        }
    }

    private static void consider(Map<String, Route> table, String hub, Link link, List<String> path) {
        Route cur = table.get(hub);
        if (cur == null || path.size() < cur.path.size()
                || (path.size() == cur.path.size() && link.id.compareTo(cur.link.id) < 0)) {
            table.put(hub, new Route(link, path));
        }
    }

    private static boolean samePaths(Map<String, Route> a, Map<String, Route> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, Route> e : a.entrySet()) {
            Route o = b.get(e.getKey());
            if (!o.path.equals(e.getValue().path) || o.link != e.getValue().link) {
                return false;
            }
        }
        return true;
    }

    private String routesFrame(Map<String, Route> table) {
        JsonObject r = new JsonObject();
        JsonArray self = new JsonArray();
        self.add(settings.hubId());
        r.add(settings.hubId(), self);
        for (Map.Entry<String, Route> e : table.entrySet()) {
            JsonArray path = new JsonArray();
            for (String h : e.getValue().path) {
                path.add(h);
            }
            r.add(e.getKey(), path);
        }
        JsonObject data = new JsonObject();
        data.add("routes", r);
        JsonObject frame = new JsonObject();
        frame.addProperty("type", "hub-routes");
        frame.add("data", data);
        frame.addProperty("originHub", settings.hubId());
        return frame.toString();
    }

    private void purgeOrigins(Set<String> unreachable) {
        int n = 0;
        for (Map.Entry<String, ConcurrentHashMap<String, Remote>> net : directory.entrySet()) {
            for (Remote r : new ArrayList<>(net.getValue().values())) {
                if (unreachable.contains(r.originHub) && removeRemote(r.network, r.peerId, e -> e == r, false)) {
                    n++;
                }
            }
        }
        if (n > 0) {
            log.info("Dropped {} peer(s) of {} unreachable hub(s)", n, unreachable.size());
        }
    }

    /**
     * A peer joined a reference hub we dialed. That hub does not cache what we sent it earlier, so its
     * newcomer would wait for the periodic refresh: resend our peers to it now (debounced per link).
     */
    private void scheduleReferenceRefresh(Link link) {
        if (link.refreshPending) {
            return;
        }
        link.refreshPending = true;
        exec.schedule(() -> {
            link.refreshPending = false;
            if (links.contains(link)) {
                sendDirectory(link, System.currentTimeMillis());
            }
        }, 250, TimeUnit.MILLISECONDS);
    }

    /**
     * Our local peers and the remote directory, to one link: with origin and sequence numbers to a Java hub,
     * as the reference's peer dump to a reference hub (with its id as target when it dialed us).
     */
    private void sendDirectory(Link link, long now) {
        for (PeerSession s : registry.sessions()) {
            String net = s.networkName();
            if (net == null || s.isHub() || s.hubLink() != null || !s.connection().isOpen()) {
                continue;
            }
            if (link.smart) {
                Long ls = localSeqs.get(key(net, s.peerId()));
                sendOn(link, MessageCodec.notice("peer-discovered", s.discoveryData(), net, null, now,
                        new RouteInfo(settings.hubId(), null, -1, ls == null ? seq.incrementAndGet() : ls, null)));
            } else {
                sendOn(link, MessageCodec.notice("peer-discovered", s.discoveryData(), net,
                        link.outbound ? null : link.remoteHubId, now, null));
            }
        }
        sendRemoteDump(link);
    }

    /** Periodic: expire orphaned entries and tombstones, refresh reference hubs' view of our peers. */
    private void sweep() {
        try {
            long now = System.currentTimeMillis();
            long ttl = 3 * settings.sweepMillis();
            Map<String, Route> table = routes;
            for (Map.Entry<String, ConcurrentHashMap<String, Remote>> net : directory.entrySet()) {
                for (Remote r : new ArrayList<>(net.getValue().values())) {
                    if (!table.containsKey(r.originHub) && now - r.updatedAt > ttl) {
                        removeRemote(r.network, r.peerId, e -> e == r, false);
                    }
                }
            }
            tombstones.entrySet().removeIf(e -> now - e.getValue().at > Math.max(ttl, 60_000));
            seenSignals.rotate();
            // Reference hubs do not cache what arrives on their inbound side: refresh it so their late joiners learn.
            for (Link l : links) {
                if (!l.smart && l.outbound) {
                    sendDirectory(l, now);
                }
            }
        } catch (RuntimeException e) {
            log.error("Hub mesh sweep failed", e);
        }
    }

    // ------------------------------------------------------------------ helpers and stats

    private final AtomicLong linkFrames = new AtomicLong();

    private void sendOn(Link link, String frame) {
        linkFrames.incrementAndGet();
        link.conn.send(frame);
    }

    /** Frames this hub has sent on hub links since start (for measurements). */
    public long linkFramesSent() {
        return linkFrames.get();
    }

    private static String key(String net, String peerId) {
        return net + "|" + peerId;
    }

    private static String newMsgId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong()) + Long.toHexString(ThreadLocalRandom.current().nextLong());
    }

    private static JsonObject parseObject(String json) {
        if (json == null) {
            return null;
        }
        try {
            JsonElement e = JsonParser.parseString(json);
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** What clients receive about a remote peer: its id, isHub false, and its other data (no cache internals). */
    private static String discoveryOf(String peerId, JsonObject data) {
        JsonObject d = new JsonObject();
        d.addProperty("peerId", peerId);
        d.addProperty("isHub", false);
        for (Map.Entry<String, JsonElement> e : data.entrySet()) {
            String k = e.getKey();
            if (!k.equals("peerId") && !k.equals("isHub") && !k.equals("cachedAt")) {
                d.add(k, e.getValue());
            }
        }
        return d.toString();
    }

    /** Snapshot of one link for stats. */
    public record LinkInfo(String hubId, String direction, URI uri, boolean reference, long connectedAt, long lastActivity,
                           String data) {
    }

    /** Snapshot of one dialer for stats. */
    public record DialerInfo(URI uri, boolean connected, long lastAttempt, int attemptNumber, long nextAttemptAt,
                             String remoteHubId, boolean abandoned) {
    }

    public List<LinkInfo> linkInfos() {
        List<LinkInfo> out = new ArrayList<>();
        for (Link l : links) {
            out.add(new LinkInfo(l.remoteHubId, l.outbound ? "out" : "in", l.uri, !l.smart, l.connectedAt, l.lastActivity,
                    l.announceData));
        }
        return out;
    }

    public List<DialerInfo> dialerInfos() {
        List<DialerInfo> out = new ArrayList<>();
        for (Dialer d : dialers) {
            Link l = d.link;
            out.add(new DialerInfo(d.shown, l != null, d.lastAttempt, d.attemptNumber, d.nextAttemptAt,
                    l == null ? null : l.remoteHubId, d.abandoned));
        }
        return out;
    }

    /** Peers of other hubs currently known. */
    public int remotePeerCount() {
        return remoteCount.get();
    }

    /** Number of links on the best path to {@code hubId}, or -1 when unreachable. */
    public int pathLength(String hubId) {
        Route r = routes.get(hubId);
        return r == null ? -1 : r.path.size() - 1;
    }

    /** Hubs reachable through the mesh (not counting this one). */
    public int reachableHubCount() {
        return routes.size();
    }

    /** True when {@code peerId} in {@code network} is known on another hub. */
    public boolean knowsRemote(String network, String peerId) {
        return remoteIn(network, peerId) != null;
    }

    /** Drops every link at once without a close handshake (fault injection for tests and drills). */
    public void dropAllLinks() {
        for (Link l : links) {
            if (l.conn instanceof OutboundLink o) {
                o.abort();
            } else {
                l.conn.close(1001, "Link dropped");
            }
        }
    }

    @Override
    public String toString() {
        return "HubMesh[" + PeerSession.shortId(settings.hubId()) + " " + settings.namespace() + ", links="
                + links.size() + ", remotePeers=" + remotePeerCount() + "]";
    }

}

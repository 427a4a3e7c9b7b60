package dev.peerpigeon.federation;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.protocol.ProtocolException;
import dev.peerpigeon.protocol.RouteInfo;
import dev.peerpigeon.signaling.Federation;
import dev.peerpigeon.signaling.PeerRegistry;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingService;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.support.LogThrottle;
import dev.peerpigeon.transport.OutboundLink;
import dev.peerpigeon.signaling.SharedFrame;
import dev.peerpigeon.support.Redaction;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

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
 *
 * <p><b>Checks on authenticated links</b> (a buggy or compromised hub must not rewrite the mesh):
 * <ul>
 *   <li>A directory update or withdrawal is applied only when it arrives over the link that is this hub's
 *   current route toward its {@code originHub}. {@code seq} is its origin's clock in microseconds (start time
 *   &times; 1000, plus one per update), so one beyond {@code (now + }{@value #SEQ_SLACK_MILLIS}{@code  ms) × 1000}
 *   is refused; entries and tombstones of a hub are dropped once it becomes unreachable. A withdrawal only ever
 *   removes an entry of the origin it names, never a local peer.</li>
 *   <li>Route adverts: every path starts with the sender, has no repeats, at most {@value #MAX_TTL} hubs and
 *   ends with the hub it is for; at most {@value #MAX_HUBS_PER_LINK} hubs per link; a directly linked hub
 *   is never reached through another link; equal-length paths are ordered by their hub ids. Our own advert is
 *   capped to the client frame limit (shortest paths first).</li>
 *   <li>Per link, directory entries are bounded like client announces (id format, network name length, data
 *   size) and in rate ({@value #DIRECTORY_RATE}/s, burst {@code maxRemotePeers} + that); refusals are counted
 *   ({@link #refusalCounts()}) and logged at most once a minute per link.</li>
 *   <li>Hub links accept frames of the client limit + {@value #LINK_HEADROOM} bytes (both directions), and a
 *   signal that would not fit the next link is refused to its sender with an {@code error}.</li>
 * </ul>
 */
public final class HubMesh implements Federation {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);

    public static final String CAPABILITY = "pp-route-v1";
    /** Response header of a Java hub's 101: {@code <hubId> <namespace> <capability>}. */
    public static final String HUB_HEADER = "X-PeerPigeon-Hub";
    static final int MAX_TTL = 32;
    /** Bytes a hub link accepts beyond the client frame limit: room for the routing fields of a relayed signal. */
    public static final int LINK_HEADROOM = 16 * 1024;
    /** What a reference hub accepts (its ws maxPayload); what we send to reference hubs must fit. */
    static final int REFERENCE_FRAME_LIMIT = 1_048_576;
    /** Room kept for later hops re-encoding a signal we originate (ttl digits, msgId instead of targetHub). */
    static final int REENCODE_MARGIN = 256;
    /** How far ahead of this hub's clock an origin's {@code seq} may be (clock skew allowance). */
    static final long SEQ_SLACK_MILLIS = 5 * 60_000;
    /** Most hubs one link may advertise. */
    static final int MAX_HUBS_PER_LINK = 1024;
    /** Sustained directory updates per second per link (the burst adds {@code maxRemotePeers}: one full dump). */
    static final int DIRECTORY_RATE = 10_000;
    /** Resync requests a link may send: per second, and burst. */
    static final int SYNC_RATE = 10;
    static final int SYNC_BURST = 50;
    /** Refusals are logged at most this often per link. */
    static final long REFUSAL_LOG_MILLIS = 60_000;
    /** A hub id stays reserved (no plain peer may use it) this long after its hub became unreachable. */
    static final long RECENT_HUB_MILLIS = 3_600_000;
    static final int MAX_RECENT_HUBS = 10_000;
    /** Discovery data of a remote peer: its announce data plus {@code peerId} and {@code isHub}. */
    private static final int DISCOVERY_OVERHEAD = 128;

    /** Why a frame from a hub link was refused; {@code warn} ones are logged (once a minute per link). */
    enum Refusal {
        NOT_FROM_ROUTE("notFromRoute", false), SEQ_AHEAD("seqAhead", true), BAD_ENTRY("badEntry", true),
        RATE_LIMITED("rateLimited", true), HUB_ID("hubIdAsPeer", true), LIVE_HERE("peerLiveHere", false),
        BAD_ROUTE("badRoute", true), TOO_MANY_HUBS("tooManyHubs", true), TOO_LARGE("tooLargeForNextLink", false);

        final String key;
        final boolean warn;

        Refusal(String key, boolean warn) {
            this.key = key;
            this.warn = warn;
        }
    }

    /** The frame limit of a hub link for a server whose clients may send {@code clientLimit} bytes. */
    public static int linkFrameLimit(int clientLimit) {
        return (int) Math.min(Integer.MAX_VALUE, (long) clientLimit + LINK_HEADROOM);
    }
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
    private volatile long lastAdvertCapWarning;
    private final AtomicLongArray refusals = new AtomicLongArray(Refusal.values().length);
    /** peerId -> number of directory entries with that id (any network): the federation-wide id check. */
    private final ConcurrentHashMap<String, Integer> remoteIds = new ConcurrentHashMap<>();
    /** hub id -> when it was last reachable, for hubs no longer reachable. Written on the mesh thread. */
    private final ConcurrentHashMap<String, Long> recentHubs = new ConcurrentHashMap<>();
    private volatile int boundPort;
    private volatile boolean stopped;

    record Remote(String network, String peerId, String originHub, long seq, String discovery, Link learnedFrom,
                  long updatedAt) {
    }

    record Tombstone(long seq, long at, String network) {
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
        /** Route adverts applied so far. Mesh thread only. */
        int advertsApplied;
        /** Largest frame the remote hub accepts (what it advertised, else the defaults). */
        final int sendLimit;
        final AtomicLong refused = new AtomicLong();
        final AtomicLong lastRefusalLog = new AtomicLong(Long.MIN_VALUE / 2);
        /** Directory token bucket; touched only by the link's reader thread (frames arrive in order on one). */
        private double directoryTokens = -1;
        private long directoryLastNanos;
        /** Latest route advert not yet applied: adverts are coalesced so a flood costs one recompute per turn. */
        volatile String pendingRoutes;
        final AtomicBoolean routesQueued = new AtomicBoolean();

        Link(Connection conn, boolean outbound, URI uri, String remoteHubId, boolean smart, String announceData,
             int sendLimit) {
            this.id = (outbound ? "out-" : "in-") + linkCounter.incrementAndGet();
            this.conn = conn;
            this.outbound = outbound;
            this.uri = uri;
            this.remoteHubId = remoteHubId;
            this.smart = smart;
            this.announceData = announceData;
            this.sendLimit = sendLimit;
        }

        /** Resync-request token bucket; reader thread only. */
        private double syncTokens = SYNC_BURST;
        private long syncLastNanos = System.nanoTime();

        /** One resync request's worth of budget (answering one costs a directory dump). Reader thread. */
        boolean takeSyncToken() {
            long now = System.nanoTime();
            syncTokens = Math.min(SYNC_BURST, syncTokens + (now - syncLastNanos) * (SYNC_RATE / 1e9));
            syncLastNanos = now;
            if (syncTokens >= 1) {
                syncTokens -= 1;
                return true;
            }
            return false;
        }

        /** One directory update's worth of budget; false when the link exceeds its rate. Reader thread. */
        boolean takeDirectoryToken() {
            long now = System.nanoTime();
            double burst = (double) settings.maxRemotePeers() + DIRECTORY_RATE;
            directoryTokens = directoryTokens < 0 ? burst
                    : Math.min(burst, directoryTokens + (now - directoryLastNanos) * (DIRECTORY_RATE / 1e9));
            directoryLastNanos = now;
            if (directoryTokens >= 1) {
                directoryTokens -= 1;
                return true;
            }
            return false;
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
        return Map.of(HUB_HEADER, settings.hubId() + " " + settings.namespace() + " " + CAPABILITY
                + " maxFrame=" + linkFrameLimit(settings.maxFrameSize()));
    }

    /** What we may send to a hub that advertised {@code advertised} (0: nothing), clamped to a sane range. */
    private int sendLimitFor(boolean smart, long advertised) {
        if (advertised > 0) {
            return (int) Math.max(4096, Math.min(Integer.MAX_VALUE, advertised));
        }
        // An older Java hub accepts its client limit (assumed ours); a reference hub its ws maxPayload.
        return smart ? settings.maxFrameSize() : REFERENCE_FRAME_LIMIT;
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
        OutboundLink dialed = OutboundLink.dial(target, upgradeHeaders(), linkFrameLimit(settings.maxFrameSize()), (int) Math.max(1, settings.pingMillis() / 1000),
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
        long advertisedLimit = 0;
        if (header != null) {
            String[] parts = header.trim().split("\\s+");
            remoteId = parts.length > 0 ? parts[0] : "";
            String remoteNs = parts.length > 1 ? parts[1] : "";
            smart = header.contains(CAPABILITY) && PeerId.isValid(remoteId);
            for (String part : parts) {
                if (part.startsWith("maxFrame=")) {
                    advertisedLimit = parseLong(part.substring("maxFrame=".length()));
                }
            }
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
        Link link = new Link(conn, true, d.shown, remoteId, smart, null, sendLimitFor(smart, advertisedLimit));
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
        data.addProperty("maxFrameSize", linkFrameLimit(settings.maxFrameSize()));
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
            if (session.hubLink() == null && isKnownHubId(session.peerId())) {
                // Hub ids and peer ids never mix: a plain peer cannot pose as a hub others route to.
                log.info("Refused announce of {} ({}): its id belongs to a hub of this mesh",
                        PeerSession.shortId(session.peerId()), session.connection().remoteAddress());
                session.connection().send(MessageCodec.error("Peer id belongs to a hub of this mesh", networkName,
                        System.currentTimeMillis()));
                session.connection().close(1008, "Peer id belongs to a hub");
                return true;
            }
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
        JsonObject announced = parseObject(data);
        long advertised = announced != null && announced.has("maxFrameSize") && announced.get("maxFrameSize").isJsonPrimitive()
                ? parseLong(announced.get("maxFrameSize").getAsString()) : 0;
        Link link = new Link(session.connection(), false, null, session.peerId(), smart, data, sendLimitFor(smart, advertised));
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
                    link.pendingRoutes = msg.data();
                    if (link.routesQueued.compareAndSet(false, true)) {
                        post(() -> {
                            link.routesQueued.set(false);
                            applyRoutes(link, link.pendingRoutes);
                        });
                    }
                }
            }
            case "hub-sync" -> onSyncRequest(link, msg);
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

    /**
     * A neighbour's route toward some hubs moved to us: it asks for what we know of them (entries and recent
     * withdrawals), since copies it received earlier over its old route may have been refused meanwhile.
     */
    private void onSyncRequest(Link link, Inbound msg) {
        if (!link.smart) {
            return;
        }
        if (!link.takeSyncToken()) {
            refuse(link, Refusal.RATE_LIMITED, "more than " + SYNC_RATE + " resync requests per second");
            return;
        }
        JsonObject data = parseObject(msg.data());
        if (data == null || !data.has("origins") || !data.get("origins").isJsonArray()
                || data.getAsJsonArray("origins").size() > MAX_HUBS_PER_LINK + 1) {
            refuse(link, Refusal.BAD_ENTRY, "malformed hub-sync");
            return;
        }
        Set<String> origins = new HashSet<>();
        for (JsonElement e : data.getAsJsonArray("origins")) {
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() && PeerId.isValid(e.getAsString())) {
                origins.add(e.getAsString());
            }
        }
        post(() -> answerSync(link, origins));
    }

    private void answerSync(Link link, Set<String> origins) {
        if (!links.contains(link)) {
            return;
        }
        long now = System.currentTimeMillis();
        if (origins.contains(settings.hubId())) {
            for (PeerSession s : registry.sessions()) {
                String net = s.networkName();
                Long ls = net == null ? null : localSeqs.get(key(net, s.peerId()));
                if (ls != null && !s.isHub() && s.hubLink() == null && s.connection().isOpen()) {
                    sendOn(link, MessageCodec.notice("peer-discovered", s.discoveryData(), net, null, now,
                            new RouteInfo(settings.hubId(), null, -1, ls, null)));
                }
            }
        }
        for (ConcurrentHashMap<String, Remote> net : directory.values()) {
            for (Remote r : net.values()) {
                if (r.learnedFrom != link && origins.contains(r.originHub)) {
                    sendOn(link, MessageCodec.notice("peer-discovered", r.discovery, r.network, null, now,
                            new RouteInfo(r.originHub, null, -1, r.seq, null)));
                }
            }
        }
        for (Map.Entry<String, Tombstone> t : tombstones.entrySet()) {
            String k = t.getKey();
            int bar = k.indexOf('|');
            if (origins.contains(k.substring(0, bar))) {
                sendOn(link, MessageCodec.notice("peer-disconnected", departure(k.substring(bar + 1), false),
                        t.getValue().network(), null, now, new RouteInfo(k.substring(0, bar), null, -1, t.getValue().seq(), null)));
            }
        }
    }

    private static String syncFrame(List<String> origins) {
        JsonArray arr = new JsonArray();
        origins.forEach(arr::add);
        JsonObject data = new JsonObject();
        data.add("origins", arr);
        JsonObject frame = new JsonObject();
        frame.addProperty("type", "hub-sync");
        frame.add("data", data);
        return frame.toString();
    }

    private void onRemoteDiscovered(Link link, Inbound msg) {
        if (!link.takeDirectoryToken()) {
            refuse(link, Refusal.RATE_LIMITED, "more than " + DIRECTORY_RATE + " directory updates per second");
            return;
        }
        if (msg.data() != null && msg.data().length() > signaling.settings().maxAnnounceDataBytes() + DISCOVERY_OVERHEAD) {
            refuse(link, Refusal.BAD_ENTRY, "peer data larger than " + signaling.settings().maxAnnounceDataBytes() + " bytes");
            return;
        }
        JsonObject data = parseObject(msg.data());
        if (data == null || !data.has("peerId") || !data.get("peerId").isJsonPrimitive()) {
            refuse(link, Refusal.BAD_ENTRY, "peer-discovered without a peerId");
            return;
        }
        String peerId = data.get("peerId").getAsString();
        if (peerId.equals(settings.hubId())) {
            return;
        }
        if (!PeerId.isValid(peerId)) {
            refuse(link, Refusal.BAD_ENTRY, "invalid peer id");
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
        if (net.length() > signaling.settings().maxNetworkNameLength()) {
            refuse(link, Refusal.BAD_ENTRY, "network name longer than " + signaling.settings().maxNetworkNameLength());
            return;
        }
        RouteInfo r = msg.route();
        String origin;
        long s;
        if (link.smart && r != null && r.originHub() != null && r.seq() >= 0) {
            origin = r.originHub();
            s = r.seq();
            if (!checkOriginAndSeq(link, origin, s)) {
                return;
            }
        } else {
            origin = link.remoteHubId;
            s = seq.incrementAndGet();
        }
        String discovery = discoveryOf(peerId, data);
        post(() -> applyAnnounce(link, net, peerId, origin, s, discovery));
    }

    private void onRemoteDisconnected(Link link, Inbound msg) {
        if (!link.takeDirectoryToken()) {
            refuse(link, Refusal.RATE_LIMITED, "more than " + DIRECTORY_RATE + " directory updates per second");
            return;
        }
        JsonObject data = parseObject(msg.data());
        if (data == null || !data.has("peerId") || !data.get("peerId").isJsonPrimitive()) {
            refuse(link, Refusal.BAD_ENTRY, "peer-disconnected without a peerId");
            return;
        }
        String peerId = data.get("peerId").getAsString();
        if (!PeerId.isValid(peerId)) {
            return; // reference hubs also announce their mesh client's departures; nothing of ours
        }
        boolean goodbye = data.has("reason") && data.get("reason").isJsonPrimitive()
                && "goodbye".equals(data.get("reason").getAsString());
        RouteInfo r = msg.route();
        String net = msg.networkName();
        if (net != null && net.length() > signaling.settings().maxNetworkNameLength()) {
            refuse(link, Refusal.BAD_ENTRY, "network name longer than " + signaling.settings().maxNetworkNameLength());
            return; // also keeps tombstones (which remember the network) small
        }
        if (link.smart && r != null && r.originHub() != null && r.seq() >= 0 && net != null) {
            if (!checkOriginAndSeq(link, r.originHub(), r.seq())) {
                return;
            }
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

    /** A directory update's origin must be a hub id and its seq within the origin's plausible clock. */
    private boolean checkOriginAndSeq(Link link, String origin, long s) {
        if (!PeerId.isValid(origin)) {
            refuse(link, Refusal.BAD_ENTRY, "invalid originHub");
            return false;
        }
        long bound = (System.currentTimeMillis() + SEQ_SLACK_MILLIS) * 1000;
        if (s > bound) {
            refuse(link, Refusal.SEQ_AHEAD, "seq " + s + " of hub " + PeerSession.shortId(origin) + " is more than "
                    + SEQ_SLACK_MILLIS / 1000 + " s ahead of this hub's clock (check the clocks)");
            return false;
        }
        return true;
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
        if (forwardSignal(msg.type(), msg.data(), from, target, net, msgId, ttl, origin, link) == Forward.TOO_LARGE) {
            count(Refusal.TOO_LARGE);
            log.debug("Dropping {} for {}: too large for the next hub link", msg.type(), PeerSession.shortId(target));
        }
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
    public boolean routeSignal(String type, String data, String fromPeerId, String targetPeerId, String networkName)
            throws ProtocolException {
        if (remoteIn(networkName, targetPeerId) == null) {
            return false;
        }
        Forward f = forwardSignal(type, data, fromPeerId, targetPeerId, networkName, null, MAX_TTL, settings.hubId(), null);
        if (f == Forward.TOO_LARGE) {
            count(Refusal.TOO_LARGE);
            throw new ProtocolException("Message too large to relay to peer " + targetPeerId
                    + " on another hub: its hub link accepts smaller frames");
        }
        return f == Forward.SENT;
    }

    /** Outcome of {@link #forwardSignal}. */
    private enum Forward { SENT, NOWHERE, TOO_LARGE }

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
    private Forward forwardSignal(String type, String data, String from, String target, String net, String msgId,
                                  int ttl, String origin, Link incoming) {
        Remote r = remoteIn(net, target);
        long now = System.currentTimeMillis();
        // A signal we originate keeps room for later hops to re-encode it; one we forward must fit as it is.
        int margin = incoming == null ? REENCODE_MARGIN : 0;
        if (r != null && msgId == null) {
            Route route = routes.get(r.originHub);
            Link next = route != null ? route.link : r.learnedFrom;
            if (next != null && next != incoming && next.conn.isOpen() && !next.down) {
                String frame = next.smart
                        ? MessageCodec.relay(type, data, from, target, net, now, new RouteInfo(origin, null, ttl, -1, r.originHub))
                        : MessageCodec.relay(type, data, from, target, net, now, null);
                if (!MessageCodec.fitsUtf8(frame, next.sendLimit - margin)) {
                    return Forward.TOO_LARGE; // never close a hub link because of one client's frame
                }
                sendOn(next, frame);
                return Forward.SENT;
            }
        }
        boolean sent = false;
        boolean tooLarge = false;
        if (msgId == null) {
            msgId = newMsgId();
            seenSignals.firstTime(msgId);
        }
        String frame = MessageCodec.relay(type, data, from, target, net, now, new RouteInfo(origin, msgId, ttl, -1, null));
        for (Link l : links) {
            if (l.smart && l != incoming) {
                if (!MessageCodec.fitsUtf8(frame, l.sendLimit - margin)) {
                    tooLarge = true;
                    continue;
                }
                sendOn(l, frame);
                sent = true;
            }
        }
        return sent ? Forward.SENT : tooLarge ? Forward.TOO_LARGE : Forward.NOWHERE;
    }

    // ------------------------------------------------------------------ directory (mesh thread)

    private void applyAnnounce(Link from, String net, String peerId, String origin, long s, String discovery) {
        if (origin.equals(settings.hubId()) || !links.contains(from)) {
            return;
        }
        if (!isRouteFor(from, origin)) {
            if (!alreadyKnown(net, peerId, origin, s)) {
                refuse(from, Refusal.NOT_FROM_ROUTE, "update for hub " + PeerSession.shortId(origin) + " not from its route");
            }
            return;
        }
        if (isKnownHubId(peerId)) {
            refuse(from, Refusal.HUB_ID, "peer " + PeerSession.shortId(peerId) + " has the id of a hub");
            return;
        }
        if (registry.get(peerId) != null) {
            // Ids are unique across the federation: the peer is here (or a stale copy of one that moved here).
            refuse(from, Refusal.LIVE_HERE, "peer " + PeerSession.shortId(peerId) + " is connected to this hub");
            return;
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
                remoteIds.merge(peerId, 1, Integer::sum);
            }
            if (existing == null) {
                SharedFrame notice = SharedFrame.of(
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
        if (!links.contains(from)) {
            return;
        }
        if (!isRouteFor(from, origin)) {
            Remote e = remoteIn(net, peerId);
            if (e != null && e.originHub.equals(origin) && e.seq < s) {
                refuse(from, Refusal.NOT_FROM_ROUTE, "withdrawal for hub " + PeerSession.shortId(origin) + " not from its route");
            }
            return;
        }
        String tkey = origin + "|" + peerId;
        Tombstone old = tombstones.get(tkey);
        if ((old == null && tombstones.size() < settings.maxRemotePeers()) || (old != null && old.seq < s)) {
            tombstones.put(tkey, new Tombstone(s, System.currentTimeMillis(), net));
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
            remoteIds.computeIfPresent(peerId, (k, v) -> v <= 1 ? null : v - 1);
            if (map.isEmpty()) {
                directory.remove(net, map);
            }
            removed[0] = true;
            JsonObject data = new JsonObject();
            data.addProperty("peerId", peerId);
            data.addProperty("isHub", false);
            SharedFrame notice = SharedFrame.of(
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

    /** True when {@code link} is this hub's current route toward hub {@code origin}. */
    private boolean isRouteFor(Link link, String origin) {
        Route r = routes.get(origin);
        return r != null && r.link == link;
    }

    /** A copy of an update already applied (flooding delivers one over every link): not worth counting. */
    private boolean alreadyKnown(String net, String peerId, String origin, long s) {
        Remote e = remoteIn(net, peerId);
        if (e != null && e.originHub.equals(origin) && e.seq >= s) {
            return true;
        }
        Tombstone t = tombstones.get(origin + "|" + peerId);
        return t != null && t.seq >= s;
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
        // Routes before the directory: the other side accepts an entry only from its route toward the entry's origin.
        if (link.smart) {
            sendOn(link, routesFrame(routes));
        }
        // Full directory exchange: our local peers and everything we know of other hubs.
        sendDirectory(link, System.currentTimeMillis());
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
        int bad = 0;
        int excess = 0;
        for (Map.Entry<String, JsonElement> e : obj.getAsJsonObject("routes").entrySet()) {
            if (adv.size() >= MAX_HUBS_PER_LINK) {
                excess++;
                continue;
            }
            List<String> path = validPath(link, e.getKey(), e.getValue());
            if (path == null) {
                bad++;
            } else if (!path.contains(settings.hubId())) { // a path through us would loop: ignored, not an error
                adv.put(e.getKey(), path);
            }
        }
        if (bad > 0) {
            refuse(link, Refusal.BAD_ROUTE, bad + " invalid path(s) in a route advert");
        }
        if (excess > 0) {
            refuse(link, Refusal.TOO_MANY_HUBS, "advertised more than " + MAX_HUBS_PER_LINK + " hubs (" + excess + " ignored)");
        }
        link.advertised = adv;
        // A Java hub sends its first advert right before its full directory: routes it moves need no resync.
        recomputeRoutes(link.advertsApplied++ == 0 ? link : null);
    }

    /**
     * A valid advertised path for {@code hub}: hub ids only, starting with the sender, ending with {@code hub},
     * no repeats, at most {@value #MAX_TTL} hubs. Null when invalid.
     */
    private static List<String> validPath(Link link, String hub, JsonElement value) {
        if (!PeerId.isValid(hub) || !value.isJsonArray()) {
            return null;
        }
        JsonArray arr = value.getAsJsonArray();
        if (arr.isEmpty() || arr.size() > MAX_TTL) {
            return null;
        }
        List<String> path = new ArrayList<>(arr.size());
        Set<String> seen = new HashSet<>();
        for (JsonElement h : arr) {
            if (!h.isJsonPrimitive() || !h.getAsJsonPrimitive().isString()) {
                return null;
            }
            String id = h.getAsString();
            if (!PeerId.isValid(id) || !seen.add(id)) {
                return null;
            }
            path.add(id);
        }
        if (!path.get(0).equals(link.remoteHubId) || !path.get(path.size() - 1).equals(hub)) {
            return null;
        }
        return path;
    }

    private void recomputeRoutes() {
        recomputeRoutes(null);
    }

    /**
     * Path-vector route selection; on change, tell the neighbours and drop peers of unreachable hubs.
     * {@code dumping} is a link whose full directory is about to arrive (null when none).
     */
    private void recomputeRoutes(Link dumping) {
        Map<String, Route> next = new HashMap<>();
        Set<String> direct = new HashSet<>();
        for (Link l : links) {
            direct.add(l.remoteHubId);
        }
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
                if (direct.contains(e.getKey())) {
                    continue; // a directly linked hub is reached over its own link, never claimed through another
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
        // Updates are accepted only from the route toward their origin: a route that moved to an established link
        // asks it for those hubs' directory (a new link's full dump is on its way anyway).
        Map<Link, List<String>> resync = new HashMap<>();
        for (Map.Entry<String, Route> e : next.entrySet()) {
            Route old = before.get(e.getKey());
            Link l = e.getValue().link;
            if (l.smart && (old == null || old.link != l) && l != dumping && l.advertsApplied > 0) {
                resync.computeIfAbsent(l, k -> new ArrayList<>()).add(e.getKey());
            }
        }
        resync.forEach((l, origins) -> sendOn(l, syncFrame(origins)));
        Set<String> lost = new HashSet<>(before.keySet());
        lost.removeAll(next.keySet());
        if (!lost.isEmpty()) {
            long now = System.currentTimeMillis();
            for (String h : lost) {
                if (recentHubs.size() < MAX_RECENT_HUBS) {
                    recentHubs.put(h, now);
                }
            }
            purgeOrigins(lost);
        }
        for (String h : next.keySet()) {
            recentHubs.remove(h);
        }
    }

    /** Shorter paths win; equal lengths are ordered by their hub ids (deterministic on every hub). */
    private static void consider(Map<String, Route> table, String hub, Link link, List<String> path) {
        Route cur = table.get(hub);
        if (cur == null || path.size() < cur.path.size()
                || (path.size() == cur.path.size() && comparePaths(path, cur.path) < 0)) {
            table.put(hub, new Route(link, path));
        }
    }

    private static int comparePaths(List<String> a, List<String> b) {
        for (int i = 0; i < a.size(); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return 0; // the same path over two links to one neighbour: the first link keeps it
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

    /**
     * Our advert: our path to every hub we reach. It never exceeds the client frame limit (which every Java hub
     * accepts on links): past it, the longest paths are left out (shortest first, then by hub id).
     */
    private String routesFrame(Map<String, Route> table) {
        String self = settings.hubId();
        int budget = settings.maxFrameSize() - 128;
        List<Map.Entry<String, Route>> entries = new ArrayList<>(table.entrySet());
        entries.sort((a, b) -> a.getValue().path.size() != b.getValue().path.size()
                ? Integer.compare(a.getValue().path.size(), b.getValue().path.size()) : a.getKey().compareTo(b.getKey()));
        StringBuilder sb = new StringBuilder(128 + entries.size() * 96);
        sb.append("{\"type\":\"hub-routes\",\"data\":{\"routes\":{");
        appendPath(sb, self, List.of(self));
        int left = 0;
        for (int i = 0; i < entries.size(); i++) {
            int mark = sb.length();
            sb.append(',');
            appendPath(sb, entries.get(i).getKey(), entries.get(i).getValue().path);
            if (sb.length() > budget) {
                sb.setLength(mark);
                left = entries.size() - i;
                break;
            }
        }
        sb.append("}},\"originHub\":\"").append(self).append("\"}");
        if (left > 0) {
            long now = System.currentTimeMillis();
            if (now - lastAdvertCapWarning > REFUSAL_LOG_MILLIS) {
                lastAdvertCapWarning = now;
                log.warn("Route advert capped at {} bytes: {} of {} hub(s) left out (the farthest)", settings.maxFrameSize(),
                        left, entries.size());
            }
        }
        return sb.toString();
    }

    private static void appendPath(StringBuilder sb, String hub, List<String> path) {
        sb.append('"').append(hub).append("\":[");
        for (int i = 0; i < path.size(); i++) {
            sb.append(i == 0 ? "\"" : ",\"").append(path.get(i)).append('"');
        }
        sb.append(']');
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
        // Their sequence state goes too: a forged seq can never outlive the hub's reachability.
        tombstones.keySet().removeIf(k -> unreachable.contains(k.substring(0, k.indexOf('|'))));
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
            recentHubs.values().removeIf(at -> now - at > RECENT_HUB_MILLIS);
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

    private void count(Refusal why) {
        refusals.incrementAndGet(why.ordinal());
    }

    /** Counts a refused frame of {@code link}; logs it at most once a minute per link, never with a stack trace. */
    private void refuse(Link link, Refusal why, String detail) {
        count(why);
        long total = link.refused.incrementAndGet();
        if (!why.warn) {
            log.debug("Refused a frame from {} ({}): {}", link, why.key, detail);
            return;
        }
        long now = System.currentTimeMillis();
        long last = link.lastRefusalLog.get();
        if (now - last >= REFUSAL_LOG_MILLIS && link.lastRefusalLog.compareAndSet(last, now)) {
            log.warn("Refused a frame from {} ({}): {}; {} refused on this link so far (logged at most once a minute)",
                    link, why.key, detail, total);
        } else {
            log.debug("Refused a frame from {} ({}): {}", link, why.key, detail);
        }
    }

    /** Frames refused on hub links since start, by reason (for {@code /hubstats}). */
    public Map<String, Long> refusalCounts() {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (Refusal r : Refusal.values()) {
            out.put(r.key, refusals.get(r.ordinal()));
        }
        return out;
    }

    /** True when {@code peerId} is live on another hub (in the remote directory, in any network). */
    public boolean isLiveElsewhere(String peerId) {
        return remoteIds.containsKey(peerId);
    }

    /**
     * True when {@code id} is this hub's, a linked or reachable hub's, or one that was reachable within the last
     * hour: such an id is never a plain peer's.
     */
    public boolean isKnownHubId(String id) {
        if (id.equals(settings.hubId()) || routes.containsKey(id)) {
            return true;
        }
        for (Link l : links) {
            if (l.remoteHubId.equals(id)) {
                return true;
            }
        }
        Long at = recentHubs.get(id);
        return at != null && System.currentTimeMillis() - at < RECENT_HUB_MILLIS;
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (RuntimeException e) {
            return 0;
        }
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

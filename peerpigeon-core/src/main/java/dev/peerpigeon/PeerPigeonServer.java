package dev.peerpigeon;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.PeerPigeonException.BindException;
import dev.peerpigeon.PeerPigeonException.StateException;
import dev.peerpigeon.federation.HubMesh;
import dev.peerpigeon.federation.MeshObserver;
import dev.peerpigeon.federation.MeshSettings;
import dev.peerpigeon.http.HttpEndpoints;
import dev.peerpigeon.http.StatusSource;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.signaling.HubAccess;
import dev.peerpigeon.signaling.IpLimiter;
import dev.peerpigeon.signaling.PeerRegistry;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingObserver;
import dev.peerpigeon.signaling.SignalingService;
import dev.peerpigeon.signaling.SignalingSettings;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.http.HttpResponse;
import dev.peerpigeon.support.LogThrottle;
import dev.peerpigeon.support.Redaction;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.transport.TransportHandler;
import dev.peerpigeon.transport.WebSocketTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A PeerPigeon-compatible WebSocket signaling server (and optionally a hub), embeddable in any JVM
 * application:
 *
 * <pre>{@code
 * try (PeerPigeonServer server = PeerPigeonServer.builder().port(3000).build()) {
 *     server.start();   // returns once the port is bound
 *     ...
 * }
 * }</pre>
 *
 * <p>Single use: {@link #start()} once; {@link #stop()} is idempotent and bounded. Thread-safe.
 */
public final class PeerPigeonServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerPigeonServer.class);
    /** How long stop() waits for sockets to close before dropping them. */
    private static final int STOP_TIMEOUT_MILLIS = 2000;

    private enum State { NEW, STARTING, RUNNING, STOPPED }

    private final Object lifecycle = new Object();
    private final List<ServerListener> listeners = new CopyOnWriteArrayList<>();
    private volatile ServerConfig config;
    private volatile State state = State.NEW;   // guarded by lifecycle for transitions
    private volatile int boundPort = -1;
    private volatile long startedAt;

    // Created by start(); read by transport threads after start() published them.
    private volatile PeerRegistry registry;
    private volatile SignalingService signaling;
    private volatile WebSocketTransport<PeerSession> transport;
    private volatile ScheduledExecutorService maintenance;
    private volatile HttpEndpoints http;
    private volatile HubMesh hubMesh;          // null unless isHub
    private volatile IpLimiter ipLimiter;
    private volatile HubAccess hubAccess;

    PeerPigeonServer(ServerConfig config) {
        this.config = config;
    }

    /** A builder with the reference defaults. */
    public static ServerConfig.Builder builder() {
        return new ServerConfig.Builder();
    }

    /** A server with this configuration (e.g. from {@link ServerConfig#fromEnvironment}). */
    public static PeerPigeonServer create(ServerConfig config) {
        return new PeerPigeonServer(config);
    }

    public ServerConfig config() {
        return config;
    }

    /** Adds a listener; events fire in the order listeners were added. */
    public PeerPigeonServer addListener(ServerListener listener) {
        listeners.add(listener);
        return this;
    }

    public PeerPigeonServer removeListener(ServerListener listener) {
        listeners.remove(listener);
        return this;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Binds the port and starts serving. Returns once the socket listens. When the port is taken, the
     * next {@code maxPortRetries} ports are tried, as in the reference.
     *
     * @throws BindException  when no port could be bound
     * @throws StateException when called twice (a server is single use)
     */
    public PeerPigeonServer start() {
        synchronized (lifecycle) {
            if (state != State.NEW) {
                throw new StateException("Server already " + (state == State.STOPPED ? "stopped" : "started")
                        + "; a PeerPigeonServer is single use, build a new one");
            }
            state = State.STARTING;
        }
        ServerConfig cfg = config;
        try {
            registry = new PeerRegistry(cfg.maxConnections(), cfg.maxNetworks());
            signaling = new SignalingService(registry, new SignalingSettings(cfg.hubMeshNamespace(),
                    cfg.maxNetworkNameLength(), cfg.maxAnnounceDataBytes(), cfg.maxMessagesPerSecond(), cfg.messageBurst()));
            ipLimiter = new IpLimiter(cfg.maxConnectionsPerIp(), cfg.maxConnectionsPerIpPerSecond(), cfg.maxConnections());
            signaling.observer(new EventBridge());
            hubAccess = new HubAccess(cfg.hubSecret(), cfg.allowUnauthenticatedHubs());
            signaling.hubAccess(hubAccess);
            http = new HttpEndpoints(cfg.corsOrigin(), new Status());
            if (cfg.isHub()) {
                hubMesh = new HubMesh(new MeshSettings(cfg.hubPeerId(), cfg.hubMeshNamespace(), cfg.host(), cfg.hubSecret(),
                        cfg.bootstrapHubs(), cfg.autoConnect(), cfg.defaultBootstrapPort(), cfg.reconnectIntervalMillis(),
                        cfg.maxReconnectIntervalMillis(), cfg.maxReconnectAttempts(), cfg.maxMessageSize(),
                        cfg.pingIntervalMillis(), cfg.maxQueuedFrames(), cfg.cleanupIntervalMillis(), cfg.maxRemotePeers(),
                        cfg.handshakeTimeoutMillis()),
                        signaling, new MeshBridge(), new dev.peerpigeon.transport.WebSocketHubConnector());
                signaling.federation(hubMesh);
            }
            bind(cfg);
            startedAt = System.currentTimeMillis();
            maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "peerpigeon-maintenance-" + boundPort);
                t.setDaemon(true);
                return t;
            });
            long ping = Math.min(cfg.pingIntervalMillis(), cfg.peerTimeoutMillis());
            maintenance.scheduleWithFixedDelay(this::checkLiveness, ping, ping, TimeUnit.MILLISECONDS);
            synchronized (lifecycle) {
                if (state != State.STARTING) {
                    // stop() (or a transport failure) came during the bind: it wins; release what was started since
                    shutdownInternals();
                    throw new StateException("Server was stopped while starting");
                }
                state = State.RUNNING;
                if (hubMesh != null) {
                    hubMesh.start(boundPort); // under the lock: a concurrent stop() sees a started mesh or none
                }
            }
        } catch (StateException e) {
            throw e;
        } catch (RuntimeException e) {
            synchronized (lifecycle) {
                state = State.STOPPED;
            }
            shutdownInternals();
            fire(new ServerEvent.Error(e));
            throw e;
        }
        String kind = cfg.isHub() ? "PeerPigeon Hub Server" : "PeerPigeon WebSocket Server";
        log.info("{} started on ws://{}:{}", kind, cfg.host(), boundPort);
        if (cfg.isHub()) {
            log.info("Hub mesh namespace: {}", cfg.hubMeshNamespace());
            log.info("Hub peer id: {}", cfg.hubPeerId());
        }
        if (hubAccess.open()) {
            log.warn("Hub mesh access: {}", hubAccess.describeMode());
        } else {
            log.info("Hub mesh access: {}", hubAccess.describeMode());
        }
        if (cfg.hubSecret() != null && cfg.allowUnauthenticatedHubs()) {
            log.warn("allowUnauthenticatedHubs (ALLOW_UNAUTHENTICATED_HUBS) is ignored: HUB_SECRET is set");
        }
        log.info("Max connections: {}, peer timeout: {} ms, ping interval: {} ms", cfg.maxConnections(),
                cfg.peerTimeoutMillis(), cfg.pingIntervalMillis());
        fire(new ServerEvent.Started(cfg.host(), boundPort));
        return this;
    }

    private void bind(ServerConfig cfg) {
        int first = cfg.port();
        int last = first == 0 ? 0 : Math.min(65535, first + cfg.maxPortRetries());
        IOException lastError = null;
        for (int port = first; port <= last; port++) {
            if (port != 0 && !WebSocketTransport.canBind(cfg.host(), port)) {
                log.debug("Port {} is in use", port);
                lastError = new java.net.BindException("Address already in use");
                continue;
            }
            // A hub's links carry relayed client frames plus routing fields: they get headroom over the client
            // limit, which Handler.onMessage enforces for client connections.
            int frameLimit = cfg.isHub() ? HubMesh.linkFrameLimit(cfg.maxMessageSize()) : cfg.maxMessageSize();
            WebSocketTransport<PeerSession> t = new WebSocketTransport<>(new WebSocketTransport.Settings(
                    cfg.host(), port, frameLimit, cfg.workerThreads(), cfg.maxQueuedFrames(), cfg.maxQueuedBytes(),
                    cfg.handshakeTimeoutMillis()),
                    new Handler());
            try {
                t.start(10_000);
                transport = t;
                boundPort = t.port();
                if (port != first) {
                    log.info("Port {} was in use, using port {} instead", first, boundPort);
                }
                return;
            } catch (IOException e) {
                t.stop(100);
                lastError = e;
                log.debug("Could not bind {}:{}: {}", cfg.host(), port, e.toString());
            }
        }
        String range = first == last ? "port " + first : "ports " + first + "-" + last;
        throw new BindException("Could not bind " + cfg.host() + " on " + range + ": "
                + (lastError == null ? "unknown error" : lastError.getMessage())
                + (first == last ? "" : " (tried " + (last - first + 1) + " ports)"), lastError);
    }

    /**
     * Stops the server: every connection is closed with 1000 "Server shutting down", then the port is
     * released. Idempotent, and bounded to a few seconds.
     */
    public void stop() {
        synchronized (lifecycle) {
            if (state == State.STOPPED || state == State.NEW) {
                state = State.STOPPED;
                return;
            }
            state = State.STOPPED;
        }
        shutdown();
        log.info("PeerPigeon server on port {} stopped", boundPort);
        fire(new ServerEvent.Stopped());
    }

    /**
     * The transport stopped on its own (fatal error, out of memory in a worker, a dead selector thread): stop
     * everything and say why, so an embedding application or the launcher (which exits non-zero) can react
     * instead of limping along with a process that serves nothing.
     */
    private void transportFailed(Throwable cause) {
        synchronized (lifecycle) {
            if (state != State.RUNNING && state != State.STARTING) {
                return;
            }
            state = State.STOPPED;
        }
        log.error("PeerPigeon server on port {} stopped: its transport failed ({})", boundPort, cause.toString(), cause);
        shutdown();
        fire(new ServerEvent.Error(cause));
        fire(new ServerEvent.Stopped(cause));
    }

    private void shutdown() {
        HubMesh mesh = hubMesh;
        if (mesh != null) {
            mesh.stop();
        }
        PeerRegistry reg = registry;
        if (reg != null) {
            for (PeerSession s : reg.sessions()) {
                s.connection().close(1000, "Server shutting down");
            }
        }
        shutdownInternals();
    }

    private void shutdownInternals() {
        ScheduledExecutorService m = maintenance;
        if (m != null) {
            m.shutdownNow();
        }
        WebSocketTransport<PeerSession> t = transport;
        if (t != null) {
            t.stop(STOP_TIMEOUT_MILLIS);
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    public boolean isRunning() {
        return state == State.RUNNING;
    }

    /** The bound port (the real one when configured with port 0), or -1 before start. */
    public int getPort() {
        return boundPort;
    }

    // ------------------------------------------------------------------ namespace

    public String getHubMeshNamespace() {
        return config.hubMeshNamespace();
    }

    /**
     * Changes the hub mesh namespace (trimmed and validated). Only before {@link #start()}.
     *
     * @throws StateException  while running or after stop
     * @throws PeerPigeonException.ConfigException when the name is invalid
     */
    public void setHubMeshNamespace(String namespace) {
        synchronized (lifecycle) {
            if (state != State.NEW) {
                throw new StateException("Cannot change the hub mesh namespace while the server is running");
            }
            config = config.toBuilder().hubMeshNamespace(namespace).buildConfig();
        }
    }

    // ------------------------------------------------------------------ snapshots

    public ServerStats getStats() {
        ServerConfig cfg = config;
        PeerRegistry reg = registry;
        int connections = 0;
        int peers = 0;
        int hubs = 0;
        int networks = 0;
        if (reg != null) {
            for (PeerSession s : reg.sessions()) {
                connections++;
                if (s.isHub() && s.hubLink() == null) {
                    hubs++; // a hub client on a plain server (its links are counted below)
                } else if (s.announced() && s.hubLink() == null) {
                    peers++;
                }
            }
            networks = reg.networkCount();
        }
        int bootstrapTotal = 0;
        int bootstrapConnected = 0;
        HubMesh mesh = hubMesh;
        if (mesh != null) {
            hubs += mesh.linkInfos().size();
            for (HubMesh.DialerInfo d : mesh.dialerInfos()) {
                bootstrapTotal++;
                bootstrapConnected += d.connected() ? 1 : 0;
            }
        }
        return new ServerStats(isRunning(), cfg.isHub(), cfg.hubPeerId(), cfg.hubMeshNamespace(), connections, peers,
                hubs, networks, bootstrapTotal, bootstrapConnected, cfg.maxConnections(),
                isRunning() ? System.currentTimeMillis() - startedAt : 0, cfg.host(), boundPort);
    }

    public HubStats getHubStats() {
        List<HubStats.Hub> hubs = new ArrayList<>();
        List<HubStats.Bootstrap> bootstrap = new ArrayList<>();
        PeerRegistry reg = registry;
        if (reg != null) {
            for (PeerSession s : reg.sessions()) {
                if (s.isHub() && s.hubLink() == null) {
                    hubs.add(new HubStats.Hub(s.peerId(), "peer", s.networkName(), s.networkName(), s.connectedAt(),
                            s.lastActivity(), s.announceData()));
                }
            }
        }
        HubMesh mesh = hubMesh;
        int remote = 0;
        if (mesh != null) {
            String ns = config.hubMeshNamespace();
            for (HubMesh.LinkInfo l : mesh.linkInfos()) {
                hubs.add(new HubStats.Hub(l.hubId(), l.direction(), ns, ns, l.connectedAt(), l.lastActivity(),
                        l.data() == null ? "{\"uri\":" + MessageCodec.quote(String.valueOf(l.uri())) + "}" : l.data()));
            }
            for (HubMesh.DialerInfo d : mesh.dialerInfos()) {
                bootstrap.add(new HubStats.Bootstrap(d.uri(), d.connected(), d.lastAttempt(), d.attemptNumber(),
                        d.nextAttemptAt(), d.remoteHubId(), d.abandoned()));
            }
            remote = mesh.remotePeerCount();
        }
        return new HubStats(hubs.size(), hubs.size(), hubs, bootstrap, remote);
    }

    /**
     * Dials another hub now (in addition to the bootstrap list), with the usual redial policy.
     *
     * @throws StateException when this server is not a running hub
     */
    public void connectToHub(java.net.URI uri) {
        HubMesh mesh = hubMesh;
        if (mesh == null || !isRunning()) {
            throw new StateException("connectToHub needs a running hub (isHub(true))");
        }
        mesh.connectToHub(uri);
    }

    /** The hub mesh connector, or null when this server is not a hub. For diagnostics and tests. */
    public HubMesh hubMesh() {
        return hubMesh;
    }

    /** Snapshots of every registered connection. */
    public List<PeerInfo> getPeers() {
        List<PeerInfo> out = new ArrayList<>();
        PeerRegistry reg = registry;
        if (reg == null) {
            return out;
        }
        for (PeerSession s : reg.sessions()) {
            var addr = s.connection().remoteAddress();
            out.add(new PeerInfo(s.peerId(), s.connectedAt(), s.lastActivity(), addr == null ? null : addr.toString(),
                    s.connection().isOpen(), s.announced(), s.announcedAt(), s.networkName(), s.announceData(),
                    s.isHub()));
        }
        return out;
    }

    // ------------------------------------------------------------------ internals

    /** Pings every connection and closes the ones silent for longer than peerTimeout. Maintenance thread. */
    private void checkLiveness() {
        try {
            ipLimiter.sweep();
            long now = System.currentTimeMillis();
            long timeout = config.peerTimeoutMillis();
            for (PeerSession s : registry.sessions()) {
                long silent = now - s.lastActivity();
                if (silent > 2 * timeout) {
                    s.connection().abort(1006, "Peer timeout"); // it did not even complete the close handshake
                } else if (silent > timeout) {
                    log.info("Closing {}: silent for {} ms (peerTimeout {} ms)", s, silent, timeout);
                    s.connection().close(1001, "Peer timeout");
                } else {
                    s.connection().sendPing();
                }
            }
        } catch (RuntimeException e) {
            log.error("Liveness check failed", e);
        }
    }

    private static java.net.InetAddress addressOf(Connection c) {
        java.net.InetSocketAddress a = c.remoteAddress();
        return a == null ? null : a.getAddress();
    }

    private static String reasonPhrase(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 409 -> "Conflict";
            case 429 -> "Too Many Requests";
            case 503 -> "Service Unavailable";
            default -> status < 500 ? "Client Error" : "Server Error";
        };
    }

    /**
     * The hub secret a request presents, or null: the {@code hubSecret} query parameter, else the segment of the
     * exact path form {@code /hub/<secret>} (a reference JS hub only appends {@code ?peerId=} to its configured
     * URI, so operators give it {@code ws://host:port/hub/<secret>}). Any other path ({@code /}, {@code /hub},
     * {@code /hubba}, {@code /a/hub/x}) is no credential: an ordinary client may use it.
     */
    private static String presentedSecret(RequestHead head) {
        String q = queryParam(head.query(), "hubSecret");
        if (q != null) {
            return q;
        }
        String path = head.path();
        return Redaction.isHubSecretPath(path) ? path.substring(5) : null;
    }

    static String queryParam(String query, String name) {
        for (String part : query.split("&")) {
            int eq = part.indexOf('=');
            String key = eq < 0 ? part : part.substring(0, eq);
            if (key.equals(name)) {
                String raw = eq < 0 ? "" : part.substring(eq + 1);
                try {
                    return URLDecoder.decode(raw, StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /** Glue between the transport and the signaling core. Runs on transport threads. */
    private final class Handler implements TransportHandler<PeerSession> {
        private final LogThrottle fullLog = LogThrottle.perSecond();
        private final LogThrottle hookLog = LogThrottle.perSecond();

        @Override
        public boolean onAccepted(java.net.InetSocketAddress remote) {
            return ipLimiter.accepted(remote == null ? null : remote.getAddress());
        }

        @Override
        public void onDisconnected(java.net.InetSocketAddress remote) {
            ipLimiter.released(remote == null ? null : remote.getAddress());
        }

        @Override
        public void onTransportFailure(Throwable cause) {
            transportFailed(cause);
        }

        @Override
        public HttpResponse onRequest(RequestHead head) {
            if (!head.upgrade()) {
                String upgrade = head.header("Upgrade");
                if (upgrade != null && upgrade.equalsIgnoreCase("websocket") && !head.malformed()) {
                    return http.upgradeRequired();
                }
                return http.handle(head);
            }
            String peerId = queryParam(head.query(), "peerId");
            if (!PeerId.isValid(peerId)) {
                log.debug("Refused upgrade from {}: invalid peerId", head.remote());
                return http.refusal(400, "Bad Request", "Invalid peerId format");
            }
            HubMesh mesh = hubMesh;
            if (mesh != null && peerId.equals(mesh.hubId())) {
                log.info("Refused upgrade from {}: it carries this hub's own id (a hub dialing itself)", head.remote());
                return http.refusal(508, "Loop Detected", "Self connection");
            }
            HubAccess access = hubAccess;
            String presented = presentedSecret(head);
            // A credential that does not match is refused whoever presents it; a dialer that says it is a hub
            // (Java hubs send X-PeerPigeon-Hub) and is not authorized is refused here, before the upgrade.
            if (access.hasSecret() && presented != null && !access.secretMatches(presented)) {
                access.logRefusal(head.remote(), "hub upgrade (wrong hub secret)");
                return http.refusal(403, "Forbidden", "Invalid hub secret");
            }
            if (head.header(HubMesh.HUB_HEADER) != null
                    && !access.authorized(head.remote() == null ? null : head.remote().getAddress(), presented)) {
                access.logRefusal(head.remote(), "hub upgrade");
                return http.refusal(403, "Forbidden", HubAccess.REFUSAL);
            }
            boolean hubCredential = access.hasSecret() && presented != null; // it matched, checked just above
            String limited = ipLimiter.tryAdmit(head.remote() == null ? null : head.remote().getAddress());
            if (limited != null) {
                log.debug("Refused upgrade from {}: {}", head.remote(), limited);
                return http.refusal(429, "Too Many Requests", limited);
            }
            if (mesh != null) {
                HttpResponse refused = federationAdmission(mesh, peerId, hubCredential);
                if (refused != null) {
                    return refused;
                }
            }
            return switch (registry.admit(peerId)) {
                case DUPLICATE -> {
                    log.debug("Refused upgrade of {}: already connected", PeerSession.shortId(peerId));
                    yield http.refusal(409, "Conflict", "Peer already connected");
                }
                case FULL -> {
                    int suppressed = fullLog.tryAcquire(); // clients can repeat this at will: one line a second
                    if (suppressed >= 0) {
                        log.warn("Refused upgrade of {}: maximum connections ({}) reached{}", PeerSession.shortId(peerId),
                                config.maxConnections(), LogThrottle.suffix(suppressed));
                    }
                    yield http.refusal(503, "Service Unavailable", "Maximum connections reached");
                }
                case ACCEPT -> admissionHook(head, peerId);
            };
        }

        /**
         * Ids are unique across the federation, and hub ids and peer ids never block each other: an id live on
         * another hub is refused (409); with a hub secret, a plain peer using a known hub's id is refused (409);
         * a hub entitled to its id (it presents the secret, or, without a secret, its id is a known hub's)
         * displaces a plain peer holding it.
         */
        private HttpResponse federationAdmission(HubMesh mesh, String peerId, boolean hubCredential) {
            if (!hubCredential && hubAccess.hasSecret() && mesh.isKnownHubId(peerId)) {
                log.info("Refused upgrade of {}: the id belongs to a hub of this mesh", PeerSession.shortId(peerId));
                return http.refusal(409, "Conflict", "Peer id belongs to a hub");
            }
            if (!hubCredential && mesh.isLiveElsewhere(peerId)) {
                log.debug("Refused upgrade of {}: live on another hub", PeerSession.shortId(peerId));
                return http.refusal(409, "Conflict", "Peer already connected on another hub");
            }
            if (registry.admit(peerId) == PeerRegistry.Admission.DUPLICATE
                    && (hubCredential || (!hubAccess.hasSecret() && mesh.isKnownHubId(peerId)))) {
                signaling.evictPlainPeer(peerId, "Peer id belongs to a hub");
            }
            return null;
        }

        private HttpResponse admissionHook(RequestHead head, String peerId) {
            AdmissionHook hook = config.admission();
            if (hook == null) {
                return null;
            }
            try {
                AdmissionHook.Decision d = hook.check(new AdmissionHook.Request(head.path(), head.query(), head.headers(),
                        head.remote(), peerId));
                if (d == null || d.accepted()) {
                    return null;
                }
                log.debug("Admission hook refused {}: {} {}", head.remote(), d.status(), d.reason());
                return http.refusal(d.status(), reasonPhrase(d.status()), d.reason());
            } catch (RuntimeException e) {
                // A bug in the application's hook, but each client request can repeat it: one line a second.
                int suppressed = hookLog.tryAcquire();
                if (suppressed >= 0) {
                    log.warn("Admission hook failed for {}: {}{}", head.remote(), e.toString(), LogThrottle.suffix(suppressed));
                }
                log.debug("Admission hook failure", e);
                return http.refusal(500, "Internal Server Error", "Admission check failed");
            }
        }

        @Override
        public PeerSession onOpen(Connection connection, RequestHead head) {
            if (state != State.RUNNING && state != State.STARTING) {
                connection.close(1001, "Server shutting down");
                return null;
            }
            PeerSession session = signaling.open(connection, queryParam(head.query(), "peerId"));
            if (session != null) {
                session.hubAuthorized(hubAccess.authorized(addressOf(connection), presentedSecret(head)));
            }
            return session;
        }

        @Override
        public java.util.Map<String, String> upgradeHeaders() {
            HubMesh mesh = hubMesh;
            return mesh == null ? java.util.Map.of() : mesh.upgradeHeaders();
        }

        @Override
        public void onMessage(PeerSession session, String text) {
            if (config.verboseLogging()) {
                log.info("<- {}: {}", session, text.length() > 500 ? text.substring(0, 500) + "…" : text);
            }
            if (session.hubLink() != null) { // hub-link frames go straight to federation, not through signaling
                hubMesh.onLinkFrame(session, text);
                return;
            }
            if (hubMesh != null && session.hubLink() == null && !MessageCodec.fitsUtf8(text, config.maxMessageSize())) {
                // The transport allows link headroom on hubs; clients keep the client limit (same answer: 1009).
                session.connection().close(1009, "Message too big");
                return;
            }
            signaling.onMessage(session, text);
        }

        @Override
        public void onUndecodable(PeerSession session, String reason) {
            session.connection().send(MessageCodec.error(reason, session.effectiveNetwork(), System.currentTimeMillis()));
        }

        @Override
        public void onPong(PeerSession session) {
            session.touch(System.currentTimeMillis());
        }

        @Override
        public boolean onPing(PeerSession session) {
            return signaling.onPing(session);
        }

        @Override
        public void onClose(PeerSession session, int code, String reason, boolean remote) {
            // The per-IP slot is released by the transport (onDisconnected) on every close path, registered or not.
            signaling.close(session, code, reason);
        }
    }

    private void fire(ServerEvent event) {
        for (ServerListener l : listeners) {
            try {
                l.onEvent(event);
                dispatch(l, event);
            } catch (RuntimeException e) {
                log.warn("Listener {} failed on {}", l, event.getClass().getSimpleName(), e);
            }
        }
    }

    private static void dispatch(ServerListener l, ServerEvent event) {
        if (event instanceof ServerEvent.Started e) {
            l.started(e);
        } else if (event instanceof ServerEvent.Stopped e) {
            l.stopped(e);
        } else if (event instanceof ServerEvent.Error e) {
            l.error(e);
        } else if (event instanceof ServerEvent.PeerConnected e) {
            l.peerConnected(e);
        } else if (event instanceof ServerEvent.PeerDisconnected e) {
            l.peerDisconnected(e);
        } else if (event instanceof ServerEvent.PeerAnnounced e) {
            l.peerAnnounced(e);
        } else if (event instanceof ServerEvent.PeerGoodbye e) {
            l.peerGoodbye(e);
        } else if (event instanceof ServerEvent.HubRegistered e) {
            l.hubRegistered(e);
        } else if (event instanceof ServerEvent.HubUnregistered e) {
            l.hubUnregistered(e);
        } else if (event instanceof ServerEvent.BootstrapConnected e) {
            l.bootstrapConnected(e);
        } else if (event instanceof ServerEvent.BootstrapDisconnected e) {
            l.bootstrapDisconnected(e);
        } else if (event instanceof ServerEvent.HubDiscovered e) {
            l.hubDiscovered(e);
        } else if (event instanceof ServerEvent.BootstrapAbandoned e) {
            l.bootstrapAbandoned(e);
        }
    }

    /** Signaling events -> public events. */
    private final class EventBridge implements SignalingObserver {
        @Override
        public void peerConnected(PeerSession s, int total) {
            fire(new ServerEvent.PeerConnected(s.peerId(), total));
        }

        @Override
        public void peerDisconnected(PeerSession s, int code, String reason, int total) {
            fire(new ServerEvent.PeerDisconnected(s.peerId(), code, reason, total));
        }

        @Override
        public void peerAnnounced(PeerSession s, String networkName, boolean isHub) {
            fire(new ServerEvent.PeerAnnounced(s.peerId(), networkName, isHub));
        }

        @Override
        public void peerGoodbye(PeerSession s) {
            fire(new ServerEvent.PeerGoodbye(s.peerId()));
        }

        @Override
        public void hubRegistered(PeerSession s, int totalHubs) {
            fire(new ServerEvent.HubRegistered(s.peerId(), totalHubs));
        }

        @Override
        public void hubUnregistered(PeerSession s, int totalHubs) {
            fire(new ServerEvent.HubUnregistered(s.peerId(), totalHubs));
        }
    }

    /** Hub mesh events -> public events. */
    private final class MeshBridge implements MeshObserver {
        @Override
        public void hubRegistered(String hubId, int totalHubs) {
            fire(new ServerEvent.HubRegistered(hubId, totalHubs));
        }

        @Override
        public void hubUnregistered(String hubId, int totalHubs) {
            fire(new ServerEvent.HubUnregistered(hubId, totalHubs));
        }

        @Override
        public void bootstrapConnected(java.net.URI uri) {
            fire(new ServerEvent.BootstrapConnected(uri));
        }

        @Override
        public void bootstrapDisconnected(java.net.URI uri, int code, String reason) {
            fire(new ServerEvent.BootstrapDisconnected(uri, code, reason));
        }

        @Override
        public void hubDiscovered(String hubId, String via, String data) {
            fire(new ServerEvent.HubDiscovered(hubId, via, data));
        }

        @Override
        public void bootstrapAbandoned(java.net.URI uri, int attempts) {
            fire(new ServerEvent.BootstrapAbandoned(uri, attempts));
        }
    }

    /** JSON documents of the HTTP endpoints. */
    private final class Status implements StatusSource {
        @Override
        public JsonObject health() {
            ServerStats st = getStats();
            JsonObject o = new JsonObject();
            o.addProperty("status", "healthy");
            o.addProperty("timestamp", Instant.now().toString());
            o.addProperty("uptime", ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
            o.addProperty("isHub", st.isHub());
            o.addProperty("connections", st.connections());
            o.addProperty("peers", st.peers());
            o.addProperty("hubs", st.hubs());
            o.addProperty("networks", st.networks());
            o.add("memory", memory());
            return o;
        }

        @Override
        public JsonObject hubs() {
            HubStats hs = getHubStats();
            JsonObject o = new JsonObject();
            o.addProperty("timestamp", Instant.now().toString());
            o.addProperty("totalHubs", hs.totalHubs());
            JsonArray arr = new JsonArray();
            for (HubStats.Hub h : hs.hubs()) {
                JsonObject j = new JsonObject();
                j.addProperty("peerId", h.peerId());
                j.addProperty("registeredAt", h.connectedAt());
                j.addProperty("lastActivity", h.lastActivity());
                j.addProperty("networkName", h.networkName());
                j.add("data", parseOrEmpty(h.data()));
                j.addProperty("connectedAt", h.connectedAt());
                j.addProperty("direction", h.direction());
                j.addProperty("namespace", h.namespace());
                j.addProperty("uptime", System.currentTimeMillis() - h.connectedAt());
                arr.add(j);
            }
            o.add("hubs", arr);
            return o;
        }

        @Override
        public JsonObject stats() {
            ServerStats st = getStats();
            JsonObject o = new JsonObject();
            o.addProperty("isRunning", st.isRunning());
            o.addProperty("isHub", st.isHub());
            o.addProperty("hubPeerId", st.hubPeerId());
            o.addProperty("hubMeshNamespace", st.hubMeshNamespace());
            o.addProperty("connections", st.connections());
            o.addProperty("peers", st.peers());
            o.addProperty("hubs", st.hubs());
            o.addProperty("networks", st.networks());
            JsonObject b = new JsonObject();
            b.addProperty("total", st.bootstrapTotal());
            b.addProperty("connected", st.bootstrapConnected());
            o.add("bootstrapHubs", b);
            o.addProperty("maxConnections", st.maxConnections());
            o.addProperty("uptime", st.uptimeMillis());
            o.addProperty("host", st.host());
            o.addProperty("port", st.port());
            return o;
        }

        @Override
        public JsonObject hubStats() {
            HubStats hs = getHubStats();
            JsonObject o = new JsonObject();
            o.addProperty("totalHubs", hs.totalHubs());
            o.addProperty("connectedHubs", hs.connectedHubs());
            o.add("hubs", hubs().get("hubs"));
            JsonArray arr = new JsonArray();
            for (HubStats.Bootstrap bs : hs.bootstrapHubs()) {
                JsonObject j = new JsonObject();
                j.addProperty("uri", bs.uri().toString());
                j.addProperty("connected", bs.connected());
                j.addProperty("lastAttempt", bs.lastAttempt());
                j.addProperty("attemptNumber", bs.attemptNumber());
                j.addProperty("nextAttemptAt", bs.nextAttemptAt());
                j.addProperty("remoteHubId", bs.remoteHubId());
                j.addProperty("abandoned", bs.abandoned());
                arr.add(j);
            }
            o.add("bootstrapHubs", arr);
            o.addProperty("remotePeers", hs.remotePeers());
            HubMesh mesh = hubMesh;
            if (mesh != null) {
                JsonObject refused = new JsonObject();
                mesh.refusalCounts().forEach(refused::addProperty);
                o.add("refusedLinkFrames", refused);
            }
            return o;
        }

        private JsonObject memory() {
            Runtime rt = Runtime.getRuntime();
            JsonObject m = new JsonObject();
            m.addProperty("rss", residentSetBytes());
            m.addProperty("heapTotal", rt.totalMemory());
            m.addProperty("heapUsed", rt.totalMemory() - rt.freeMemory());
            m.addProperty("external", ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage().getUsed());
            long direct = 0;
            for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                direct += Math.max(0, pool.getMemoryUsed());
            }
            m.addProperty("arrayBuffers", direct);
            return m;
        }
    }

    private static com.google.gson.JsonElement parseOrEmpty(String json) {
        try {
            return JsonParser.parseString(json == null ? "{}" : json);
        } catch (RuntimeException e) {
            return new JsonObject();
        }
    }

    /** Resident set size from /proc (Linux), else the committed heap. */
    static long residentSetBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return Runtime.getRuntime().totalMemory();
    }

}

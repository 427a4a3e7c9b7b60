package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.ConfigException;
import dev.peerpigeon.PeerPigeonException.StateException;
import dev.peerpigeon.federation.HubMesh;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.runtime.EventDispatcher;
import dev.peerpigeon.runtime.ServerRuntime;
import dev.peerpigeon.support.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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
 * <p>Single use: {@link #start()} once; {@link #stop()} is idempotent and bounded. Thread-safe: lifecycle
 * transitions happen under one lock; the run's components ({@link ServerRuntime}) are published once, through one
 * volatile reference, after they are complete.
 */
public final class PeerPigeonServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerPigeonServer.class);
    /** How long a stop() that interrupts a start() waits for it to release what it bound. */
    private static final long START_RELEASE_WAIT_SECONDS = 15;

    private enum State { NEW, STARTING, RUNNING, STOPPED }

    private final Object lifecycle = new Object();
    private final EventDispatcher events = new EventDispatcher();
    private final CountDownLatch startFinished = new CountDownLatch(1);
    private volatile ServerConfig config;
    private volatile State state = State.NEW;   // transitions under lifecycle
    private volatile ServerRuntime runtime;     // set once, complete (bound), by start()

    PeerPigeonServer(ServerConfig config) {
        this.config = config;
    }

    /** A builder with the reference defaults. */
    public static Builder builder() {
        return new Builder();
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
        events.add(listener);
        return this;
    }

    public PeerPigeonServer removeListener(ServerListener listener) {
        events.remove(listener);
        return this;
    }

    /**
     * Binds the port and starts serving. Returns once the socket listens. When the port is taken, the
     * next {@code maxPortRetries} ports are tried, as in the reference. A {@link #stop()} during the bind wins:
     * this then releases the port and throws {@link StateException}.
     *
     * @throws PeerPigeonException.BindException when no port could be bound
     * @throws StateException when called twice (a server is single use), or stopped while starting
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
            ServerRuntime run;
            try {
                run = ServerRuntime.start(cfg, events, new Host());
            } catch (RuntimeException e) {
                synchronized (lifecycle) {
                    state = State.STOPPED;
                }
                events.fire(new ServerEvent.Error(e));
                throw e;
            }
            synchronized (lifecycle) {
                if (state != State.STARTING) {
                    // stop() (or a transport failure) came during the bind: it wins; release what was started
                    run.release();
                    throw new StateException("Server was stopped while starting");
                }
                runtime = run;
                state = State.RUNNING;
                run.startFederation(); // under the lock: a concurrent stop() sees a started mesh or none
            }
            run.logStarted();
            events.fire(new ServerEvent.Started(cfg.listen().host(), run.port()));
            return this;
        } finally {
            startFinished.countDown();
        }
    }

    /**
     * Stops the server: every connection is closed with 1000 "Server shutting down", then the port is
     * released. Idempotent, and bounded to a few seconds. A stop during {@link #start()} waits until the start
     * has released what it bound, so the port is free when this returns.
     */
    public void stop() {
        boolean wasStarting;
        synchronized (lifecycle) {
            if (state == State.STOPPED || state == State.NEW) {
                state = State.STOPPED;
                return;
            }
            wasStarting = state == State.STARTING;
            state = State.STOPPED;
        }
        if (wasStarting) {
            awaitStart();
            return; // the start saw STOPPED and released its runtime; it never fired started
        }
        ServerRuntime run = runtime;
        run.shutdown();
        log.info("PeerPigeon server on port {} stopped", run.port());
        events.fire(new ServerEvent.Stopped());
    }

    private void awaitStart() {
        try {
            if (!startFinished.await(START_RELEASE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("stop(): the concurrent start() did not finish within {} s", START_RELEASE_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
    public int port() {
        ServerRuntime run = runtime;
        return run == null ? -1 : run.port();
    }

    /** Same as {@link #port()}. */
    public int getPort() {
        return port();
    }

    /** The WebSocket URI clients connect to ({@code ws://host:port}), or null before start. */
    public URI uri() {
        int p = port();
        return p < 0 ? null : URI.create("ws://" + hostForUri(config.listen().host()) + ":" + p);
    }

    private static String hostForUri(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    public String getHubMeshNamespace() {
        return config.hub().namespace();
    }

    /**
     * Changes the hub mesh namespace (trimmed and validated). Only before {@link #start()}.
     *
     * @throws StateException  while running or after stop
     * @throws ConfigException when the name is invalid
     */
    public void setHubMeshNamespace(String namespace) {
        synchronized (lifecycle) {
            if (state != State.NEW) {
                throw new StateException("Cannot change the hub mesh namespace while the server is running");
            }
            config = config.toBuilder().hubMeshNamespace(namespace).buildConfig();
        }
    }

    public ServerStats getStats() {
        ServerRuntime run = runtime;
        ServerConfig cfg = config;
        if (run == null) {
            return new ServerStats(false, cfg.hub().enabled(), cfg.hub().id(), cfg.hub().namespace(), 0, 0, 0, 0, 0,
                    0, cfg.limits().maxConnections(), 0, cfg.listen().host(), -1);
        }
        return run.stats().serverStats(isRunning());
    }

    public HubStats getHubStats() {
        ServerRuntime run = runtime;
        return run == null ? new HubStats(0, 0, List.of(), List.of(), 0) : run.stats().hubStats();
    }

    /** Snapshots of every registered connection. */
    public List<PeerInfo> getPeers() {
        ServerRuntime run = runtime;
        return run == null ? new ArrayList<>() : run.stats().peers();
    }

    /**
     * Dials another hub now (in addition to the bootstrap list), with the usual redial policy.
     *
     * @throws StateException when this server is not a running hub
     */
    public void connectToHub(URI uri) {
        ServerRuntime run = runtime;
        if (run == null || run.hubMesh() == null || !isRunning()) {
            throw new StateException("connectToHub needs a running hub (isHub(true))");
        }
        run.hubMesh().connectToHub(uri);
    }

    /** The hub mesh connector, or null when this server is not a hub. For diagnostics and tests. */
    public HubMesh hubMesh() {
        ServerRuntime run = runtime;
        return run == null ? null : run.hubMesh();
    }

    /** What the runtime asks of the facade's lifecycle. Called on transport threads. */
    private final class Host implements ServerRuntime.Host {
        @Override
        public boolean accepting() {
            State s = state;
            return s == State.RUNNING || s == State.STARTING;
        }

        /**
         * The transport stopped on its own (fatal error, out of memory in a worker, a dead selector thread): stop
         * everything and say why, so an embedding application or the launcher (which exits non-zero) can react
         * instead of limping along with a process that serves nothing.
         */
        @Override
        public void transportFailed(Throwable cause) {
            synchronized (lifecycle) {
                if (state != State.RUNNING && state != State.STARTING) {
                    return;
                }
                state = State.STOPPED;
            }
            ServerRuntime run = runtime; // null while starting: start() then sees STOPPED and releases its run
            log.error("PeerPigeon server on port {} stopped: its transport failed ({})", run == null ? -1 : run.port(),
                    cause.toString(), cause);
            if (run != null) {
                run.shutdown();
            }
            events.fire(new ServerEvent.Error(cause));
            events.fire(new ServerEvent.Stopped(cause));
        }
    }

    /** Used by {@link AdmissionHook.Request#queryParam}. */
    static String queryParam(String query, String name) {
        return RequestHead.queryParam(query, name);
    }

    /**
     * The one builder of a server and its {@link ServerConfig}: collects options, each checked when set;
     * {@link #buildConfig()} validates them together (refusing, never adjusting) and {@link #build()} creates the
     * server. Not thread-safe: one thread fills it.
     */
    public static final class Builder {
        int port = ServerConfig.DEFAULT_PORT;
        String host = "localhost";
        int maxConnections = 1000;
        long cleanupIntervalMillis = 30_000;
        long peerTimeoutMillis = 300_000;
        long pingIntervalMillis = 20_000;
        String corsOrigin = "*";
        int maxMessageSize = 1_048_576;
        int maxPortRetries = 10;
        boolean verboseLogging;
        boolean isHub;
        String hubMeshNamespace = ServerConfig.DEFAULT_NAMESPACE;
        String hubPeerId;
        List<URI> bootstrapHubs = List.of();
        boolean autoConnect = true;
        long reconnectIntervalMillis = 5_000;
        long maxReconnectIntervalMillis = 60_000;
        int maxReconnectAttempts = 0;
        int hubMeshMaxPeers = 3;
        int hubMeshMinPeers = 2;
        int defaultBootstrapPort = ServerConfig.DEFAULT_PORT;
        String hubSecret;
        boolean allowUnauthenticatedHubs;
        int maxNetworks = 10_000;
        int maxNetworkNameLength = 256;
        int maxAnnounceDataBytes = 8 * 1024;
        int workerThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
        int maxQueuedFrames = 10_000;
        int maxQueuedBytes = 8 * 1024 * 1024;
        int maxMessagesPerSecond = 1000;
        int messageBurst = 2000;
        // Below maxConnections on purpose: one address must not be able to take every slot.
        int maxConnectionsPerIp = 100;
        int maxConnectionsPerIpPerSecond = 200;
        int maxRemotePeers = 500_000;
        long handshakeTimeoutMillis = 10_000;
        AdmissionHook admission;

        Builder() {
        }

        /** A builder holding the values of {@code c} (including its hub id). */
        Builder(ServerConfig c) {
            ServerConfig.Listen l = c.listen();
            port = l.port();
            host = l.host();
            maxPortRetries = l.portRetries();
            corsOrigin = l.corsOrigin();
            workerThreads = l.workerThreads();
            ServerConfig.Limits m = c.limits();
            maxConnections = m.maxConnections();
            maxMessageSize = m.maxMessageSize();
            maxNetworks = m.maxNetworks();
            maxNetworkNameLength = m.maxNetworkNameLength();
            maxAnnounceDataBytes = m.maxAnnounceDataBytes();
            maxQueuedFrames = m.maxQueuedFrames();
            maxQueuedBytes = m.maxQueuedBytes();
            maxMessagesPerSecond = m.maxMessagesPerSecond();
            messageBurst = m.messageBurst();
            maxConnectionsPerIp = m.maxConnectionsPerIp();
            maxConnectionsPerIpPerSecond = m.maxConnectionsPerIpPerSecond();
            maxRemotePeers = m.maxRemotePeers();
            ServerConfig.Liveness v = c.liveness();
            peerTimeoutMillis = v.peerTimeout().toMillis();
            pingIntervalMillis = v.pingInterval().toMillis();
            cleanupIntervalMillis = v.cleanupInterval().toMillis();
            handshakeTimeoutMillis = v.handshakeTimeout().toMillis();
            ServerConfig.Hub h = c.hub();
            isHub = h.enabled();
            hubMeshNamespace = h.namespace();
            hubPeerId = h.id();
            bootstrapHubs = h.bootstrap();
            autoConnect = h.autoConnect();
            defaultBootstrapPort = h.defaultBootstrapPort();
            hubMeshMaxPeers = h.maxPeers();
            hubMeshMinPeers = h.minPeers();
            hubSecret = h.secret();
            allowUnauthenticatedHubs = h.allowUnauthenticatedHubs();
            reconnectIntervalMillis = h.reconnect().initial().toMillis();
            maxReconnectIntervalMillis = h.reconnect().max().toMillis();
            maxReconnectAttempts = h.reconnect().maxAttempts();
            verboseLogging = c.verboseLogging();
            admission = c.admission();
        }

        /** TCP port; 0 binds an ephemeral port (see {@link PeerPigeonServer#getPort()}). Default 3000. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new ConfigException("port must be 0-65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** Interface to bind. Default "localhost"; use "0.0.0.0" for all interfaces. */
        public Builder host(String host) {
            if (host == null || host.isBlank()) {
                throw new ConfigException("host must not be empty");
            }
            this.host = host.trim();
            return this;
        }

        /** Most registered connections (peers and hubs). Default 1000. */
        public Builder maxConnections(int n) {
            this.maxConnections = positive("maxConnections", n);
            return this;
        }

        /** How often stale sockets and expired caches are swept, in ms. Default 30000. */
        public Builder cleanupInterval(long millis) {
            this.cleanupIntervalMillis = positive("cleanupInterval", millis);
            return this;
        }

        /** Same as {@link #cleanupInterval(long)} with a {@link Duration}. */
        public Builder cleanupInterval(Duration d) {
            return cleanupInterval(millis("cleanupInterval", d));
        }

        /** A connection silent for this long (no frame, no pong) is closed, in ms. Default 300000. */
        public Builder peerTimeout(long millis) {
            this.peerTimeoutMillis = positive("peerTimeout", millis);
            return this;
        }

        /** Same as {@link #peerTimeout(long)} with a {@link Duration}. */
        public Builder peerTimeout(Duration d) {
            return peerTimeout(millis("peerTimeout", d));
        }

        /** Interval of WebSocket pings to every connection, in ms. Default 20000. */
        public Builder pingInterval(long millis) {
            this.pingIntervalMillis = positive("pingInterval", millis);
            return this;
        }

        /** Same as {@link #pingInterval(long)} with a {@link Duration}. */
        public Builder pingInterval(Duration d) {
            return pingInterval(millis("pingInterval", d));
        }

        /** Value of Access-Control-Allow-Origin. Default "*". */
        public Builder corsOrigin(String origin) {
            if (origin == null || origin.isBlank() || origin.contains("\r") || origin.contains("\n")) {
                throw new ConfigException("corsOrigin must be a non-empty single-line value");
            }
            this.corsOrigin = origin.trim();
            return this;
        }

        /**
         * Largest inbound message in bytes, a single frame or all fragments of one message together
         * (checked on every fragment); larger ones close the socket with 1009. Default 1048576.
         */
        public Builder maxMessageSize(int bytes) {
            if (bytes < 1024) {
                throw new ConfigException("maxMessageSize must be at least 1024 bytes, got " + bytes);
            }
            this.maxMessageSize = bytes;
            return this;
        }

        /** When the port is taken, how many following ports to try. Default 10. */
        public Builder maxPortRetries(int n) {
            if (n < 0) {
                throw new ConfigException("maxPortRetries must be >= 0, got " + n);
            }
            this.maxPortRetries = n;
            return this;
        }

        /** Logs every frame at INFO. Default false. */
        public Builder verboseLogging(boolean on) {
            this.verboseLogging = on;
            return this;
        }

        /** Makes this server a hub that links with the other hubs of its namespace. Default false. */
        public Builder isHub(boolean on) {
            this.isHub = on;
            return this;
        }

        /** Hub mesh namespace: lowercase letters, digits, hyphens. Default "pigeonhub-mesh". */
        public Builder hubMeshNamespace(String namespace) {
            this.hubMeshNamespace = ServerConfig.validateNamespace(namespace);
            return this;
        }

        /** The hub's peer id (40 hex digits). Default: random from SecureRandom. */
        public Builder hubPeerId(String id) {
            if (id != null && !PeerId.isValid(id)) {
                throw new ConfigException("hubPeerId must be 40 hex digits, got '" + id + "'");
            }
            this.hubPeerId = id;
            return this;
        }

        /** Hubs to dial (ws:// or wss://). Default none. */
        public Builder bootstrapHubs(List<URI> uris) {
            List<URI> list = new ArrayList<>();
            for (URI u : uris) {
                try {
                    list.add(ServerConfig.checkHubUri(u));
                } catch (IllegalArgumentException | NullPointerException e) {
                    throw new ConfigException("bootstrap hub '" + (u == null ? null : Redaction.toString(u))
                            + "' is invalid: " + e.getMessage());
                }
            }
            this.bootstrapHubs = List.copyOf(list);
            return this;
        }

        /** Whether a hub dials its bootstrap hubs (and the default ws://host:3000). Default true. */
        public Builder autoConnect(boolean on) {
            this.autoConnect = on;
            return this;
        }

        /** First delay before redialing a lost hub link, in ms; doubles up to the cap. Default 5000. */
        public Builder reconnectInterval(long millis) {
            this.reconnectIntervalMillis = positive("reconnectInterval", millis);
            return this;
        }

        /** Same as {@link #reconnectInterval(long)} with a {@link Duration}. */
        public Builder reconnectInterval(Duration d) {
            return reconnectInterval(millis("reconnectInterval", d));
        }

        /** Cap of the redial backoff, in ms. Default 60000. */
        public Builder maxReconnectInterval(long millis) {
            this.maxReconnectIntervalMillis = positive("maxReconnectInterval", millis);
            return this;
        }

        /** Same as {@link #maxReconnectInterval(long)} with a {@link Duration}. */
        public Builder maxReconnectInterval(Duration d) {
            return maxReconnectInterval(millis("maxReconnectInterval", d));
        }

        /**
         * Redials of one hub link in a row before giving up (logged, with an event); the count resets
         * after a healthy link. 0 (default) never gives up.
         */
        public Builder maxReconnectAttempts(int n) {
            if (n < 0) {
                throw new ConfigException("maxReconnectAttempts must be >= 0, got " + n);
            }
            this.maxReconnectAttempts = n;
            return this;
        }

        /** Most hub links a hub keeps on its own initiative. Default 3. */
        public Builder hubMeshMaxPeers(int n) {
            this.hubMeshMaxPeers = positive("hubMeshMaxPeers", n);
            return this;
        }

        /** Hub links a hub tries to keep by dialing hubs it hears of. Default 2. */
        public Builder hubMeshMinPeers(int n) {
            if (n < 0) {
                throw new ConfigException("hubMeshMinPeers must be >= 0, got " + n);
            }
            this.hubMeshMinPeers = n;
            return this;
        }

        /** Port of the implicit bootstrap hub dialed when none is configured. Default 3000. */
        public Builder defaultBootstrapPort(int port) {
            if (port < 0 || port > 65535) {
                throw new ConfigException("defaultBootstrapPort must be 0-65535 (0 disables), got " + port);
            }
            this.defaultBootstrapPort = port;
            return this;
        }

        /**
         * Shared secret of the hub mesh. When set, hub links must present it (as a {@code hubSecret} query
         * parameter, or in the path {@code /hub/<secret>} for reference hubs) or they are refused (403 before the
         * upgrade, or close 1008 on their hub announce). Without it the server is in protected mode: see
         * {@link #allowUnauthenticatedHubs(boolean)}.
         */
        public Builder hubSecret(String secret) {
            if (secret != null && (secret.isEmpty() || !secret.matches("[A-Za-z0-9._~-]{8,128}"))) {
                throw new ConfigException("hubSecret must be 8-128 characters of [A-Za-z0-9._~-]");
            }
            this.hubSecret = secret;
            return this;
        }

        /**
         * Without a {@link #hubSecret(String) hub secret}, hub links and hub announces (the hub mesh namespace or
         * {@code data.isHub}) are accepted from loopback addresses only (protected mode, like Redis's). {@code true}
         * accepts them from every address without authentication (logged at WARN at start). Ignored when a secret
         * is set. Default false.
         */
        public Builder allowUnauthenticatedHubs(boolean on) {
            this.allowUnauthenticatedHubs = on;
            return this;
        }

        /** Most networks at once. Default 10000. */
        public Builder maxNetworks(int n) {
            this.maxNetworks = positive("maxNetworks", n);
            return this;
        }

        /** Longest networkName. Default 256. */
        public Builder maxNetworkNameLength(int n) {
            this.maxNetworkNameLength = positive("maxNetworkNameLength", n);
            return this;
        }

        /** Largest announce data object, as JSON text. Default 8192. */
        public Builder maxAnnounceDataBytes(int n) {
            this.maxAnnounceDataBytes = positive("maxAnnounceDataBytes", n);
            return this;
        }

        /** Frame decoding threads. Default: the number of cores. */
        public Builder workerThreads(int n) {
            this.workerThreads = positive("workerThreads", n);
            return this;
        }

        /** Frames queued for one slow receiver before it is closed (1008). Default 10000. */
        public Builder maxQueuedFrames(int n) {
            this.maxQueuedFrames = positive("maxQueuedFrames", n);
            return this;
        }

        /**
         * Bytes queued for one slow receiver (data frames, pings and pongs alike, counted exactly until they
         * leave) before it is dropped (1008). Default 8 MiB.
         */
        public Builder maxQueuedBytes(int bytes) {
            this.maxQueuedBytes = positive("maxQueuedBytes", bytes);
            return this;
        }

        /**
         * Sustained frames per second one client may send (token bucket, burst {@code burst}). Excess frames get
         * an {@code error} reply and are dropped; a client that keeps flooding is closed with 1008. 0 disables.
         * Hub links are exempt. Default 1000/s, burst 2000.
         */
        public Builder maxMessagesPerSecond(int perSecond, int burst) {
            if (perSecond < 0 || burst < 0 || (perSecond > 0 && burst < 1)) {
                throw new ConfigException("maxMessagesPerSecond and burst must be >= 0 (0 disables), got " + perSecond
                        + "/" + burst);
            }
            this.maxMessagesPerSecond = perSecond;
            this.messageBurst = burst;
            return this;
        }

        /**
         * Open connections from one IP address, counted from the TCP accept (before the upgrade too); an upgrade
         * beyond it is refused with HTTP 429, and a TCP connection beyond twice it is closed at once. 0 disables.
         * Default 100 (below the default maxConnections, so one address cannot take every slot).
         */
        public Builder maxConnectionsPerIp(int n) {
            if (n < 0) {
                throw new ConfigException("maxConnectionsPerIp must be >= 0 (0 disables), got " + n);
            }
            this.maxConnectionsPerIp = n;
            return this;
        }

        /** New connections per second from one IP address (burst 2x); more get HTTP 429. 0 disables. Default 200. */
        public Builder maxConnectionsPerIpPerSecond(int n) {
            if (n < 0) {
                throw new ConfigException("maxConnectionsPerIpPerSecond must be >= 0 (0 disables), got " + n);
            }
            this.maxConnectionsPerIpPerSecond = n;
            return this;
        }

        /**
         * Time a client has to send its complete request head after the TCP accept, and an outbound hub link has
         * to get its upgrade answered; then the connection is closed (an outbound link is redialed with the
         * usual backoff). In ms. Default 10000.
         */
        public Builder handshakeTimeout(long millis) {
            if (millis < 100 || millis > 600_000) {
                throw new ConfigException("handshakeTimeout must be 100-600000 ms, got " + millis);
            }
            this.handshakeTimeoutMillis = millis;
            return this;
        }

        /** Same as {@link #handshakeTimeout(long)} with a {@link Duration}. */
        public Builder handshakeTimeout(Duration d) {
            return handshakeTimeout(millis("handshakeTimeout", d));
        }

        /** Most peers of other hubs kept in a hub's directory. Default 500000. */
        public Builder maxRemotePeers(int n) {
            this.maxRemotePeers = positive("maxRemotePeers", n);
            return this;
        }

        /**
         * A check run before every WebSocket upgrade (after the built-in ones): see {@link AdmissionHook}.
         * Default none.
         */
        public Builder admission(AdmissionHook hook) {
            this.admission = hook;
            return this;
        }

        private static int positive(String name, int n) {
            if (n <= 0) {
                throw new ConfigException(name + " must be > 0, got " + n);
            }
            return n;
        }

        private static long positive(String name, long n) {
            if (n <= 0) {
                throw new ConfigException(name + " must be > 0, got " + n);
            }
            return n;
        }

        private static long millis(String name, Duration d) {
            if (d == null) {
                throw new ConfigException(name + " must not be null");
            }
            try {
                return d.toMillis();
            } catch (ArithmeticException e) {
                throw new ConfigException(name + " is out of range: " + d);
            }
        }

        /** Validates the options together and returns the immutable configuration. */
        public ServerConfig buildConfig() {
            if (hubMeshMinPeers > hubMeshMaxPeers) {
                throw new ConfigException("hubMeshMinPeers (" + hubMeshMinPeers + ") must not exceed hubMeshMaxPeers ("
                        + hubMeshMaxPeers + ")");
            }
            if (maxReconnectIntervalMillis < reconnectIntervalMillis) {
                throw new ConfigException("maxReconnectInterval (" + maxReconnectIntervalMillis
                        + " ms) must not be below reconnectInterval (" + reconnectIntervalMillis + " ms)");
            }
            String id = hubPeerId != null ? hubPeerId : (isHub ? PeerId.generate() : null);
            return new ServerConfig(
                    new ServerConfig.Listen(host, port, maxPortRetries, corsOrigin, workerThreads),
                    new ServerConfig.Limits(maxConnections, maxMessageSize, maxNetworks, maxNetworkNameLength,
                            maxAnnounceDataBytes, maxQueuedFrames, maxQueuedBytes, maxMessagesPerSecond, messageBurst,
                            maxConnectionsPerIp, maxConnectionsPerIpPerSecond, maxRemotePeers),
                    new ServerConfig.Liveness(Duration.ofMillis(peerTimeoutMillis), Duration.ofMillis(pingIntervalMillis),
                            Duration.ofMillis(cleanupIntervalMillis), Duration.ofMillis(handshakeTimeoutMillis)),
                    new ServerConfig.Hub(isHub, hubMeshNamespace, id, bootstrapHubs, autoConnect, defaultBootstrapPort,
                            hubMeshMaxPeers, hubMeshMinPeers, hubSecret, allowUnauthenticatedHubs,
                            new ServerConfig.Reconnect(Duration.ofMillis(reconnectIntervalMillis),
                                    Duration.ofMillis(maxReconnectIntervalMillis), maxReconnectAttempts)),
                    verboseLogging, admission);
        }

        /** Validates the options and creates the (not yet started) server. */
        public PeerPigeonServer build() {
            return new PeerPigeonServer(buildConfig());
        }
    }
}

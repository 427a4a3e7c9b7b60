package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.ConfigException;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.support.Redaction;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Immutable server configuration. Build one with {@link PeerPigeonServer#builder()} or
 * {@link #fromEnvironment(Map)}; every value is validated when built.
 *
 * <p>Defaults follow the reference server (peerpigeon 1.1.3) except where noted.
 */
public final class ServerConfig {
    public static final String DEFAULT_NAMESPACE = "pigeonhub-mesh";
    public static final int DEFAULT_PORT = 3000;
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]+(?:-[a-z0-9]+)*");
    static final int MAX_NAMESPACE_LENGTH = 64;

    /** A private copy of the builder's values; never exposed, so this object is immutable. */
    private final Builder v;
    private final String hubPeerId;

    private ServerConfig(Builder b) {
        this.v = b.copy();
        this.hubPeerId = b.hubPeerId != null ? b.hubPeerId : (b.isHub ? PeerId.generate() : null);
    }

    public int port() { return v.port; }
    public String host() { return v.host; }
    public int maxConnections() { return v.maxConnections; }
    public long cleanupIntervalMillis() { return v.cleanupIntervalMillis; }
    public long peerTimeoutMillis() { return v.peerTimeoutMillis; }
    public long pingIntervalMillis() { return v.pingIntervalMillis; }
    public String corsOrigin() { return v.corsOrigin; }
    public int maxMessageSize() { return v.maxMessageSize; }
    public int maxPortRetries() { return v.maxPortRetries; }
    public boolean verboseLogging() { return v.verboseLogging; }
    public boolean isHub() { return v.isHub; }
    public String hubMeshNamespace() { return v.hubMeshNamespace; }
    /** The hub's own peer id (random from SecureRandom when not set); null for a plain server. */
    public String hubPeerId() { return hubPeerId; }
    public List<URI> bootstrapHubs() { return v.bootstrapHubs; }
    public boolean autoConnect() { return v.autoConnect; }
    public long reconnectIntervalMillis() { return v.reconnectIntervalMillis; }
    public long maxReconnectIntervalMillis() { return v.maxReconnectIntervalMillis; }
    public int maxReconnectAttempts() { return v.maxReconnectAttempts; }
    public int hubMeshMaxPeers() { return v.hubMeshMaxPeers; }
    public int hubMeshMinPeers() { return v.hubMeshMinPeers; }
    public int defaultBootstrapPort() { return v.defaultBootstrapPort; }
    public String hubSecret() { return v.hubSecret; }
    /** Without a hub secret, accept hub links and hub announces from any address (not only loopback). */
    public boolean allowUnauthenticatedHubs() { return v.allowUnauthenticatedHubs; }
    public int maxNetworks() { return v.maxNetworks; }
    public int maxNetworkNameLength() { return v.maxNetworkNameLength; }
    public int maxAnnounceDataBytes() { return v.maxAnnounceDataBytes; }
    public int workerThreads() { return v.workerThreads; }
    public int maxQueuedFrames() { return v.maxQueuedFrames; }
    public int maxQueuedBytes() { return v.maxQueuedBytes; }
    public int maxMessagesPerSecond() { return v.maxMessagesPerSecond; }
    public int messageBurst() { return v.messageBurst; }
    public int maxConnectionsPerIp() { return v.maxConnectionsPerIp; }
    public int maxConnectionsPerIpPerSecond() { return v.maxConnectionsPerIpPerSecond; }
    public int maxRemotePeers() { return v.maxRemotePeers; }
    public long handshakeTimeoutMillis() { return v.handshakeTimeoutMillis; }
    /** The admission hook, or null. */
    public AdmissionHook admission() { return v.admission; }

    /** A builder holding this configuration's values (including the generated hub id). */
    public Builder toBuilder() {
        Builder b = v.copy();
        b.hubPeerId = hubPeerId;
        return b;
    }

    /** Validates a hub mesh namespace (trimmed): lowercase letters, digits and single hyphens, 1-64 chars. */
    public static String validateNamespace(String namespace) {
        if (namespace == null || namespace.trim().isEmpty()) {
            throw new ConfigException("hubMeshNamespace must not be empty");
        }
        String ns = namespace.trim();
        if (ns.length() > MAX_NAMESPACE_LENGTH || !NAMESPACE.matcher(ns).matches()) {
            throw new ConfigException("hubMeshNamespace '" + ns + "' is invalid: use 1-" + MAX_NAMESPACE_LENGTH
                    + " lowercase letters, digits and hyphens (e.g. production-mesh)");
        }
        return ns;
    }

    /**
     * Reads the reference server's environment variables: PORT, HOST, MAX_CONNECTIONS, CORS_ORIGIN,
     * HUB_MESH_NAMESPACE, IS_HUB, BOOTSTRAP / BOOTSTRAP_HUBS (comma lists, merged), HUB_ID, AUTO_CONNECT,
     * plus HUB_SECRET, ALLOW_UNAUTHENTICATED_HUBS, VERBOSE_LOGGING, PEER_TIMEOUT (ms), MAX_CONNECTIONS_PER_IP,
     * MAX_CONNECTIONS_PER_IP_PER_SECOND, MAX_MESSAGES_PER_SECOND (burst twice that; 0 disables), WORKER_THREADS and
     * HANDSHAKE_TIMEOUT (ms). Unset or empty variables keep the default.
     *
     * @throws ConfigException naming the variable when a value is invalid
     */
    public static ServerConfig fromEnvironment(Map<String, String> env) {
        Builder b = PeerPigeonServer.builder();
        EnvReader r = new EnvReader(env);
        r.integer("PORT", b::port);
        r.string("HOST", b::host);
        r.integer("MAX_CONNECTIONS", b::maxConnections);
        r.string("CORS_ORIGIN", b::corsOrigin);
        r.string("HUB_MESH_NAMESPACE", b::hubMeshNamespace);
        r.bool("IS_HUB", b::isHub);
        List<URI> bootstrap = new ArrayList<>();
        r.uris("BOOTSTRAP", bootstrap);
        r.uris("BOOTSTRAP_HUBS", bootstrap);
        if (!bootstrap.isEmpty()) {
            r.apply("BOOTSTRAP", () -> b.bootstrapHubs(bootstrap));
        }
        r.string("HUB_ID", b::hubPeerId);
        r.bool("AUTO_CONNECT", b::autoConnect);
        r.string("HUB_SECRET", b::hubSecret);
        r.bool("ALLOW_UNAUTHENTICATED_HUBS", b::allowUnauthenticatedHubs);
        r.bool("VERBOSE_LOGGING", b::verboseLogging);
        r.integer("PEER_TIMEOUT", v -> b.peerTimeout(v));
        r.integer("MAX_CONNECTIONS_PER_IP", b::maxConnectionsPerIp);
        r.integer("MAX_CONNECTIONS_PER_IP_PER_SECOND", b::maxConnectionsPerIpPerSecond);
        r.integer("MAX_MESSAGES_PER_SECOND", n -> b.maxMessagesPerSecond(n, 2 * n));
        r.integer("WORKER_THREADS", b::workerThreads);
        r.integer("HANDSHAKE_TIMEOUT", v -> b.handshakeTimeout(v));
        return r.build(b);
    }

    /** Applies environment values to a builder, turning every failure into an error naming the variable. */
    private static final class EnvReader {
        private final Map<String, String> env;

        EnvReader(Map<String, String> env) {
            this.env = env;
        }

        private String get(String name) {
            String v = env.get(name);
            return v == null || v.trim().isEmpty() ? null : v.trim();
        }

        void apply(String name, Runnable action) {
            try {
                action.run();
            } catch (ConfigException e) {
                throw new ConfigException("Environment variable " + name + ": " + e.getMessage());
            }
        }

        void string(String name, java.util.function.Consumer<String> setter) {
            String v = get(name);
            if (v != null) {
                apply(name, () -> setter.accept(v));
            }
        }

        void integer(String name, java.util.function.IntConsumer setter) {
            String v = get(name);
            if (v == null) {
                return;
            }
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new ConfigException("Environment variable " + name + " must be an integer, got '" + v + "'");
            }
            apply(name, () -> setter.accept(n));
        }

        void bool(String name, java.util.function.Consumer<Boolean> setter) {
            String v = get(name);
            if (v == null) {
                return;
            }
            switch (v.toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes" -> setter.accept(true);
                case "false", "0", "no" -> setter.accept(false);
                default -> throw new ConfigException("Environment variable " + name
                        + " must be true or false, got '" + v + "'");
            }
        }

        void uris(String name, List<URI> out) {
            String v = get(name);
            if (v == null) {
                return;
            }
            int index = 0;
            for (String part : v.split(",")) {
                String s = part.trim();
                index++;
                if (s.isEmpty()) {
                    continue;
                }
                URI uri;
                try {
                    uri = URI.create(s);
                } catch (IllegalArgumentException e) {
                    // Not echoed: the text may hold a password or a secret.
                    throw new ConfigException("Environment variable " + name + ": entry " + index
                            + " is not a valid URI (at index " + (e.getCause() instanceof java.net.URISyntaxException u
                            ? u.getIndex() : -1) + ")");
                }
                try {
                    out.add(checkHubUri(uri));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("Environment variable " + name + ": '" + Redaction.toString(uri)
                            + "' is not a ws:// or wss:// URI (" + e.getMessage() + ")");
                }
            }
        }

        ServerConfig build(Builder b) {
            return b.buildConfig();
        }
    }

    static URI checkHubUri(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss") && !scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("scheme must be ws, wss, http or https");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("no host");
        }
        return uri;
    }

    /** Collects options; {@link #build()} validates them and creates the server. */
    public static final class Builder implements Cloneable {
        int port = DEFAULT_PORT;
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
        String hubMeshNamespace = DEFAULT_NAMESPACE;
        String hubPeerId;
        List<URI> bootstrapHubs = new ArrayList<>();
        boolean autoConnect = true;
        long reconnectIntervalMillis = 5_000;
        long maxReconnectIntervalMillis = 60_000;
        int maxReconnectAttempts = 0;
        int hubMeshMaxPeers = 3;
        int hubMeshMinPeers = 2;
        int defaultBootstrapPort = DEFAULT_PORT;
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

        Builder copy() {
            try {
                Builder b = (Builder) super.clone();
                b.bootstrapHubs = List.copyOf(bootstrapHubs);
                return b;
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
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

        /** A connection silent for this long (no frame, no pong) is closed, in ms. Default 300000. */
        public Builder peerTimeout(long millis) {
            this.peerTimeoutMillis = positive("peerTimeout", millis);
            return this;
        }

        /** Interval of WebSocket pings to every connection, in ms. Default 20000. */
        public Builder pingInterval(long millis) {
            this.pingIntervalMillis = positive("pingInterval", millis);
            return this;
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
            this.hubMeshNamespace = validateNamespace(namespace);
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
                    list.add(checkHubUri(u));
                } catch (IllegalArgumentException | NullPointerException e) {
                    throw new ConfigException("bootstrap hub '" + (u == null ? null : Redaction.toString(u))
                            + "' is invalid: " + e.getMessage());
                }
            }
            this.bootstrapHubs = list;
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

        /** Cap of the redial backoff, in ms. Default 60000. */
        public Builder maxReconnectInterval(long millis) {
            this.maxReconnectIntervalMillis = positive("maxReconnectInterval", millis);
            return this;
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

        /** Validates the options together and returns the immutable configuration. */
        public ServerConfig buildConfig() {
            if (hubMeshMinPeers > hubMeshMaxPeers) {
                throw new ConfigException("hubMeshMinPeers (" + hubMeshMinPeers + ") must not exceed hubMeshMaxPeers ("
                        + hubMeshMaxPeers + ")");
            }
            if (maxReconnectIntervalMillis < reconnectIntervalMillis) {
                maxReconnectIntervalMillis = reconnectIntervalMillis;
            }
            return new ServerConfig(this);
        }

        /** Validates the options and creates the (not yet started) server. */
        public PeerPigeonServer build() {
            return new PeerPigeonServer(buildConfig());
        }
    }
}

package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.ConfigException;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.support.Redaction;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Immutable server configuration: final fields grouped in records ({@link #listen()}, {@link #limits()},
 * {@link #liveness()}, {@link #hub()}). Build one with {@link PeerPigeonServer#builder()} (then
 * {@link PeerPigeonServer.Builder#buildConfig()}) or {@link #fromEnvironment(Map)}; every value is validated when
 * built, and invalid combinations are refused, never silently adjusted. {@link #toString()} redacts secrets.
 *
 * <p>Defaults follow the reference server (peerpigeon 1.1.3) except where noted.
 */
public final class ServerConfig {
    public static final String DEFAULT_NAMESPACE = "pigeonhub-mesh";
    public static final int DEFAULT_PORT = 3000;
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]+(?:-[a-z0-9]+)*");
    static final int MAX_NAMESPACE_LENGTH = 64;

    /**
     * Where and how the server listens.
     *
     * @param host          interface to bind
     * @param port          first port to try (0: ephemeral)
     * @param portRetries   following ports tried when it is taken
     * @param corsOrigin    Access-Control-Allow-Origin of the HTTP endpoints
     * @param workerThreads threads that answer HTTP requests and run upgrades
     */
    public record Listen(String host, int port, int portRetries, String corsOrigin, int workerThreads) {
    }

    /** Exact per-server, per-IP and per-connection bounds (see the builder methods of the same names). */
    public record Limits(int maxConnections, int maxMessageSize, int maxNetworks, int maxNetworkNameLength,
                         int maxAnnounceDataBytes, int maxQueuedFrames, int maxQueuedBytes, int maxMessagesPerSecond,
                         int messageBurst, int maxConnectionsPerIp, int maxConnectionsPerIpPerSecond,
                         int maxRemotePeers) {
    }

    /**
     * Timers.
     *
     * @param peerTimeout      a connection silent this long is closed
     * @param pingInterval     WebSocket pings to every connection
     * @param cleanupInterval  sweeps of stale caches
     * @param handshakeTimeout time to complete a request head (inbound) or get an upgrade answered (outbound)
     * @param maxMissedPings   pings in a row a connection may leave unanswered before it is dropped
     */
    public record Liveness(Duration peerTimeout, Duration pingInterval, Duration cleanupInterval,
                           Duration handshakeTimeout, int maxMissedPings) {
        /**
         * Silence after which a connection that does not answer pings is dropped: {@code maxMissedPings} intervals
         * plus a fifth of one (the last pong's way back), or the peer timeout when that is shorter.
         */
        public Duration pingDeadline() {
            Duration d = pingInterval.multipliedBy(maxMissedPings).plus(pingInterval.dividedBy(5));
            return d.compareTo(peerTimeout) < 0 ? d : peerTimeout;
        }
    }

    /** Redial policy of lost hub links: {@code initial} doubling up to {@code max}; {@code maxAttempts} 0 = never give up. */
    public record Reconnect(Duration initial, Duration max, int maxAttempts) {
    }

    /**
     * The hub mesh.
     *
     * @param enabled                  whether this server is a hub
     * @param namespace                hub mesh namespace (also the namespace plain servers recognise hubs by)
     * @param id                       the hub's peer id; null for a plain server
     * @param bootstrap                hubs to dial
     * @param autoConnect              whether to dial at all
     * @param defaultBootstrapPort     port of the implicit bootstrap hub (0: none)
     * @param maxPeers                 most links kept on its own initiative
     * @param minPeers                 links it tries to keep
     * @param secret                   shared hub secret, or null (never printed)
     * @param allowUnauthenticatedHubs without a secret, accept hubs from every address
     * @param reconnect                redial policy
     * @param advertiseUri             the address told to other hubs, or null (derived from host and port)
     */
    public record Hub(boolean enabled, String namespace, String id, List<URI> bootstrap, boolean autoConnect,
                      int defaultBootstrapPort, int maxPeers, int minPeers, String secret,
                      boolean allowUnauthenticatedHubs, Reconnect reconnect, URI advertiseUri) {
        @Override
        public String toString() {
            return "Hub[enabled=" + enabled + ", namespace=" + namespace + ", id=" + id + ", bootstrap="
                    + bootstrap.stream().map(Redaction::toString).toList() + ", autoConnect=" + autoConnect
                    + ", defaultBootstrapPort=" + defaultBootstrapPort + ", maxPeers=" + maxPeers + ", minPeers="
                    + minPeers + ", secret=" + (secret == null ? "none" : Redaction.MASK)
                    + ", allowUnauthenticatedHubs=" + allowUnauthenticatedHubs + ", reconnect=" + reconnect
                    + ", advertiseUri=" + advertiseUri + "]";
        }
    }

    private final Listen listen;
    private final Limits limits;
    private final Liveness liveness;
    private final Hub hub;
    private final boolean verboseLogging;
    private final AdmissionHook admission;
    private final boolean metrics;
    private final javax.net.ssl.SSLContext tls;
    private final javax.net.ssl.SSLContext tlsTrust;
    private final List<String> trustedProxies;
    private final boolean statusPage;
    private final String redisUrl;

    ServerConfig(Listen listen, Limits limits, Liveness liveness, Hub hub, boolean verboseLogging,
                 AdmissionHook admission, boolean metrics, javax.net.ssl.SSLContext tls,
                 javax.net.ssl.SSLContext tlsTrust, List<String> trustedProxies, boolean statusPage,
                 String redisUrl) {
        this.redisUrl = redisUrl;
        this.metrics = metrics;
        this.tls = tls;
        this.tlsTrust = tlsTrust;
        this.statusPage = statusPage;
        this.trustedProxies = List.copyOf(trustedProxies);
        this.listen = listen;
        this.limits = limits;
        this.liveness = liveness;
        this.hub = hub;
        this.verboseLogging = verboseLogging;
        this.admission = admission;
    }

    public Listen listen() { return listen; }
    public Limits limits() { return limits; }
    public Liveness liveness() { return liveness; }
    public Hub hub() { return hub; }
    /** Logs every frame at INFO. */
    public boolean verboseLogging() { return verboseLogging; }
    /** The admission hook, or null. */
    public AdmissionHook admission() { return admission; }
    /** Whether {@code GET /metrics} answers (else 404). */
    public boolean metrics() { return metrics; }
    /** The TLS server context (wss:// and https://), or null for plain ws://. */
    public javax.net.ssl.SSLContext tls() { return tls; }
    /** The client context for wss:// hub links, or null for the JVM defaults. */
    public javax.net.ssl.SSLContext tlsTrust() { return tlsTrust; }
    /** Reverse proxies (IPs/CIDRs) whose forwarding headers give the client address; empty: none. */
    public List<String> trustedProxies() { return trustedProxies; }
    /** Whether {@code /status} and {@code /status.json} are served. */
    public boolean statusPage() { return statusPage; }
    /** Cluster mode: the Redis URL ({@code redis://}, {@code rediss://}) this node shares with its cluster, or null. */
    public String redisUrl() { return redisUrl; }

    /** A builder holding this configuration's values (including the generated hub id). */
    public PeerPigeonServer.Builder toBuilder() {
        return new PeerPigeonServer.Builder(this);
    }

    /** Every value, with the hub secret and URI passwords redacted. */
    @Override
    public String toString() {
        return "ServerConfig[listen=" + listen + ", limits=" + limits + ", liveness=" + liveness + ", hub=" + hub
                + ", verboseLogging=" + verboseLogging + ", admission=" + (admission == null ? "none" : "set")
                + ", metrics=" + metrics + ", tls=" + (tls == null ? "off" : "on") + ", trustedProxies=" + trustedProxies
                + ", statusPage=" + statusPage + ", redisUrl="
                + (redisUrl == null ? "none" : Redaction.toString(URI.create(redisUrl))) + "]";
    }

    /** Validates the options together (refusing, never adjusting) and builds the immutable value. */
    static ServerConfig from(ServerOptions<?> o) {
        if (o.hubMeshMinPeers > o.hubMeshMaxPeers) {
            throw new ConfigException("hubMeshMinPeers (" + o.hubMeshMinPeers + ") must not exceed hubMeshMaxPeers ("
                    + o.hubMeshMaxPeers + ")");
        }
        if (o.maxReconnectIntervalMillis < o.reconnectIntervalMillis) {
            throw new ConfigException("maxReconnectInterval (" + o.maxReconnectIntervalMillis
                    + " ms) must not be below reconnectInterval (" + o.reconnectIntervalMillis + " ms)");
        }
        String id = o.hubPeerId != null ? o.hubPeerId : (o.isHub ? PeerId.generate() : null);
        return new ServerConfig(
                new ServerConfig.Listen(o.host, o.port, o.maxPortRetries, o.corsOrigin, o.workerThreads),
                new ServerConfig.Limits(o.maxConnections, o.maxMessageSize, o.maxNetworks, o.maxNetworkNameLength,
                        o.maxAnnounceDataBytes, o.maxQueuedFrames, o.maxQueuedBytes, o.maxMessagesPerSecond, o.messageBurst,
                        o.maxConnectionsPerIp, o.maxConnectionsPerIpPerSecond, o.maxRemotePeers),
                new ServerConfig.Liveness(Duration.ofMillis(o.peerTimeoutMillis), Duration.ofMillis(o.pingIntervalMillis),
                        Duration.ofMillis(o.cleanupIntervalMillis), Duration.ofMillis(o.handshakeTimeoutMillis), o.maxMissedPings),
                new ServerConfig.Hub(o.isHub, o.hubMeshNamespace, id, o.bootstrapHubs, o.autoConnect, o.defaultBootstrapPort,
                        o.hubMeshMaxPeers, o.hubMeshMinPeers, o.hubSecret, o.allowUnauthenticatedHubs,
                        new ServerConfig.Reconnect(Duration.ofMillis(o.reconnectIntervalMillis),
                                Duration.ofMillis(o.maxReconnectIntervalMillis), o.maxReconnectAttempts), o.hubAdvertiseUri),
                o.verboseLogging, o.admission, o.metrics, o.tls, o.tlsTrust, o.trustedProxies, o.statusPage,
                o.redisUrl);
    }

    /** Puts every value of {@code c} (including its hub id) into a builder. */
    static void copyInto(ServerConfig c, ServerOptions<?> o) {
        ServerConfig.Listen l = c.listen();
        o.port = l.port();
        o.host = l.host();
        o.maxPortRetries = l.portRetries();
        o.corsOrigin = l.corsOrigin();
        o.workerThreads = l.workerThreads();
        ServerConfig.Limits m = c.limits();
        o.maxConnections = m.maxConnections();
        o.maxMessageSize = m.maxMessageSize();
        o.maxNetworks = m.maxNetworks();
        o.maxNetworkNameLength = m.maxNetworkNameLength();
        o.maxAnnounceDataBytes = m.maxAnnounceDataBytes();
        o.maxQueuedFrames = m.maxQueuedFrames();
        o.maxQueuedBytes = m.maxQueuedBytes();
        o.maxMessagesPerSecond = m.maxMessagesPerSecond();
        o.messageBurst = m.messageBurst();
        o.maxConnectionsPerIp = m.maxConnectionsPerIp();
        o.maxConnectionsPerIpPerSecond = m.maxConnectionsPerIpPerSecond();
        o.maxRemotePeers = m.maxRemotePeers();
        ServerConfig.Liveness v = c.liveness();
        o.peerTimeoutMillis = v.peerTimeout().toMillis();
        o.pingIntervalMillis = v.pingInterval().toMillis();
        o.cleanupIntervalMillis = v.cleanupInterval().toMillis();
        o.maxMissedPings = v.maxMissedPings();
        o.handshakeTimeoutMillis = v.handshakeTimeout().toMillis();
        ServerConfig.Hub h = c.hub();
        o.isHub = h.enabled();
        o.hubMeshNamespace = h.namespace();
        o.hubPeerId = h.id();
        o.bootstrapHubs = h.bootstrap();
        o.autoConnect = h.autoConnect();
        o.defaultBootstrapPort = h.defaultBootstrapPort();
        o.hubMeshMaxPeers = h.maxPeers();
        o.hubMeshMinPeers = h.minPeers();
        o.hubSecret = h.secret();
        o.allowUnauthenticatedHubs = h.allowUnauthenticatedHubs();
        o.reconnectIntervalMillis = h.reconnect().initial().toMillis();
        o.maxReconnectIntervalMillis = h.reconnect().max().toMillis();
        o.maxReconnectAttempts = h.reconnect().maxAttempts();
        o.hubAdvertiseUri = h.advertiseUri();
        o.verboseLogging = c.verboseLogging();
        o.admission = c.admission();
        o.metrics = c.metrics();
        o.tls = c.tls();
        o.tlsTrust = c.tlsTrust();
        o.trustedProxies = c.trustedProxies();
        o.statusPage = c.statusPage();
        o.redisUrl = c.redisUrl();
    }

    /** Validates a cluster's Redis URL: redis:// or rediss:// with a host (the message never echoes it: it may hold a password). */
    static String validateRedisUrl(String url) {
        if (url == null || url.isBlank()) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException("redisUrl must be redis://[user:password@]host:port[/db] or rediss://...");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("redis") || scheme.equals("rediss")) || uri.getHost() == null) {
            throw new ConfigException("redisUrl must be redis://[user:password@]host:port[/db] or rediss://... (got "
                    + Redaction.toString(uri) + ")");
        }
        return url.trim();
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
     * Reads the reference server's environment variables (see {@link EnvironmentConfig}). Unset or empty
     * variables keep the default.
     *
     * @throws ConfigException naming the variable when a value is invalid
     */
    public static ServerConfig fromEnvironment(Map<String, String> env) {
        return EnvironmentConfig.read(env).buildConfig();
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

}

package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.ConfigException;
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
     * @param workerThreads frame decoding threads
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
     */
    public record Liveness(Duration peerTimeout, Duration pingInterval, Duration cleanupInterval,
                           Duration handshakeTimeout) {
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
     */
    public record Hub(boolean enabled, String namespace, String id, List<URI> bootstrap, boolean autoConnect,
                      int defaultBootstrapPort, int maxPeers, int minPeers, String secret,
                      boolean allowUnauthenticatedHubs, Reconnect reconnect) {
        @Override
        public String toString() {
            return "Hub[enabled=" + enabled + ", namespace=" + namespace + ", id=" + id + ", bootstrap="
                    + bootstrap.stream().map(Redaction::toString).toList() + ", autoConnect=" + autoConnect
                    + ", defaultBootstrapPort=" + defaultBootstrapPort + ", maxPeers=" + maxPeers + ", minPeers="
                    + minPeers + ", secret=" + (secret == null ? "none" : Redaction.MASK)
                    + ", allowUnauthenticatedHubs=" + allowUnauthenticatedHubs + ", reconnect=" + reconnect + "]";
        }
    }

    private final Listen listen;
    private final Limits limits;
    private final Liveness liveness;
    private final Hub hub;
    private final boolean verboseLogging;
    private final AdmissionHook admission;

    ServerConfig(Listen listen, Limits limits, Liveness liveness, Hub hub, boolean verboseLogging,
                 AdmissionHook admission) {
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

    /** A builder holding this configuration's values (including the generated hub id). */
    public PeerPigeonServer.Builder toBuilder() {
        return new PeerPigeonServer.Builder(this);
    }

    /** Every value, with the hub secret and URI passwords redacted. */
    @Override
    public String toString() {
        return "ServerConfig[listen=" + listen + ", limits=" + limits + ", liveness=" + liveness + ", hub=" + hub
                + ", verboseLogging=" + verboseLogging + ", admission=" + (admission == null ? "none" : "set") + "]";
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

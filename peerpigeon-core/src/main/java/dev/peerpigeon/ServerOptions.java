package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.ConfigException;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.support.Redaction;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The options of {@link PeerPigeonServer.Builder} (the one public builder; this base only keeps that file
 * short; the hub mesh options are in {@link HubOptions}): each setter checks its value, {@link #buildConfig()} validates them together (refusing, never
 * adjusting). Not thread-safe: one thread fills a builder.
 *
 * @param <B> the public builder type, returned by every setter for chaining
 */
abstract class ServerOptions<B extends ServerOptions<B>> extends HubOptions<B> {
    int port = ServerConfig.DEFAULT_PORT;
    String host = "localhost";
    int maxConnections = 1000;
    long cleanupIntervalMillis = 30_000;
    long peerTimeoutMillis = 300_000;
    long pingIntervalMillis = 5_000;
    int maxMissedPings = 2;
    String corsOrigin = "*";
    int maxMessageSize = 1_048_576;
    int maxPortRetries = 10;
    boolean verboseLogging;
    boolean metrics = true;
    int maxNetworks = 10_000;
    int maxNetworkNameLength = 256;
    int maxAnnounceDataBytes = 8 * 1024;
    int workerThreads = Math.max(8, 2 * Runtime.getRuntime().availableProcessors());
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
    javax.net.ssl.SSLContext tls;
    javax.net.ssl.SSLContext tlsTrust;
    java.util.List<String> trustedProxies = java.util.List.of();
    boolean statusPage = true;
    String redisUrl;

    /** Takes every value of {@code c} (including its hub id). */
    final void copyFrom(ServerConfig c) {
        ServerConfig.copyInto(c, this);
    }


    /** TCP port; 0 binds an ephemeral port (see {@link PeerPigeonServer#getPort()}). Default 3000. */
    public B port(int port) {
        if (port < 0 || port > 65535) {
            throw new ConfigException("port must be 0-65535, got " + port);
        }
        this.port = port;
        return self();
    }

    /** Interface to bind. Default "localhost"; use "0.0.0.0" for all interfaces. */
    public B host(String host) {
        if (host == null || host.isBlank()) {
            throw new ConfigException("host must not be empty");
        }
        this.host = host.trim();
        return self();
    }

    /** Most registered connections (peers and hubs). Default 1000. */
    public B maxConnections(int n) {
        this.maxConnections = positive("maxConnections", n);
        return self();
    }

    /** How often stale sockets and expired caches are swept, in ms. Default 30000. */
    public B cleanupInterval(long millis) {
        this.cleanupIntervalMillis = positive("cleanupInterval", millis);
        return self();
    }

    /** Same as {@link #cleanupInterval(long)} with a {@link Duration}. */
    public B cleanupInterval(Duration d) {
        return cleanupInterval(millis("cleanupInterval", d));
    }

    /** A connection silent for this long (no frame, no pong) is closed, in ms. Default 300000. */
    public B peerTimeout(long millis) {
        this.peerTimeoutMillis = positive("peerTimeout", millis);
        return self();
    }

    /** Same as {@link #peerTimeout(long)} with a {@link Duration}. */
    public B peerTimeout(Duration d) {
        return peerTimeout(millis("peerTimeout", d));
    }

    /**
     * Interval of WebSocket pings to every connection, in ms. Default 5000: with {@link #maxMissedPings} 2 a peer
     * that stops answering is dropped (and unlisted on every hub) about 11 s after its last answer.
     */
    public B pingInterval(long millis) {
        this.pingIntervalMillis = positive("pingInterval", millis);
        return self();
    }

    /**
     * Pings in a row a connection may leave unanswered (no pong, no frame) before it is dropped, 1006 "Peer timeout":
     * after {@code n} intervals plus a fifth of one for the last pong's way back. Default 2; at most 1000.
     */
    public B maxMissedPings(int n) {
        if (n < 1 || n > 1000) {
            throw new ConfigException("maxMissedPings must be between 1 and 1000, got " + n);
        }
        this.maxMissedPings = n;
        return self();
    }

    /** Same as {@link #pingInterval(long)} with a {@link Duration}. */
    public B pingInterval(Duration d) {
        return pingInterval(millis("pingInterval", d));
    }

    /** Value of Access-Control-Allow-Origin. Default "*". */
    public B corsOrigin(String origin) {
        if (origin == null || origin.isBlank() || origin.contains("\r") || origin.contains("\n")) {
            throw new ConfigException("corsOrigin must be a non-empty single-line value");
        }
        this.corsOrigin = origin.trim();
        return self();
    }

    /**
     * Largest inbound message in bytes, a single frame or all fragments of one message together
     * (checked on every fragment); larger ones close the socket with 1009. Default 1048576.
     */
    public B maxMessageSize(int bytes) {
        if (bytes < 1024) {
            throw new ConfigException("maxMessageSize must be at least 1024 bytes, got " + bytes);
        }
        this.maxMessageSize = bytes;
        return self();
    }

    /** When the port is taken, how many following ports to try. Default 10. */
    public B maxPortRetries(int n) {
        if (n < 0) {
            throw new ConfigException("maxPortRetries must be >= 0, got " + n);
        }
        this.maxPortRetries = n;
        return self();
    }

    /** Logs every frame at INFO. Default false. */
    public B verboseLogging(boolean on) {
        this.verboseLogging = on;
        return self();
    }

    /** Serves {@code GET /metrics} (Prometheus text format); when false it answers 404. Default true. */
    public B metrics(boolean on) {
        this.metrics = on;
        return self();
    }

    /** Most networks at once. Default 10000. */
    public B maxNetworks(int n) {
        this.maxNetworks = positive("maxNetworks", n);
        return self();
    }

    /** Longest networkName. Default 256. */
    public B maxNetworkNameLength(int n) {
        this.maxNetworkNameLength = positive("maxNetworkNameLength", n);
        return self();
    }

    /** Largest announce data object, as JSON text. Default 8192. */
    public B maxAnnounceDataBytes(int n) {
        this.maxAnnounceDataBytes = positive("maxAnnounceDataBytes", n);
        return self();
    }

    /**
     * Threads that answer HTTP requests and run WebSocket upgrades (frames of open connections are handled on the
     * selector thread). Default: twice the cores, at least 8: the library pools two read buffers per such thread,
     * and the selector returns the ones it decoded through them in batches (fewer wake-ups with more).
     */
    public B workerThreads(int n) {
        this.workerThreads = positive("workerThreads", n);
        return self();
    }

    /** Frames queued for one slow receiver before it is closed (1008). Default 10000. */
    public B maxQueuedFrames(int n) {
        this.maxQueuedFrames = positive("maxQueuedFrames", n);
        return self();
    }

    /**
     * Bytes queued for one slow receiver (data frames, pings and pongs alike, counted exactly until they
     * leave) before it is dropped (1008). Default 8 MiB.
     */
    public B maxQueuedBytes(int bytes) {
        this.maxQueuedBytes = positive("maxQueuedBytes", bytes);
        return self();
    }

    /**
     * Sustained frames per second one client may send (token bucket, burst {@code burst}). Excess frames get
     * an {@code error} reply and are dropped; a client that keeps flooding is closed with 1008. 0 disables.
     * Hub links are exempt. Default 1000/s, burst 2000.
     */
    public B maxMessagesPerSecond(int perSecond, int burst) {
        if (perSecond < 0 || burst < 0 || (perSecond > 0 && burst < 1)) {
            throw new ConfigException("maxMessagesPerSecond and burst must be >= 0 (0 disables), got " + perSecond
                    + "/" + burst);
        }
        this.maxMessagesPerSecond = perSecond;
        this.messageBurst = burst;
        return self();
    }

    /**
     * Open connections from one IP address, counted from the TCP accept (before the upgrade too); an upgrade
     * beyond it is refused with HTTP 429, and a TCP connection beyond twice it is closed at once. 0 disables.
     * Default 100 (below the default maxConnections, so one address cannot take every slot).
     */
    public B maxConnectionsPerIp(int n) {
        if (n < 0) {
            throw new ConfigException("maxConnectionsPerIp must be >= 0 (0 disables), got " + n);
        }
        this.maxConnectionsPerIp = n;
        return self();
    }

    /** New connections per second from one IP address (burst 2x); more get HTTP 429. 0 disables. Default 200. */
    public B maxConnectionsPerIpPerSecond(int n) {
        if (n < 0) {
            throw new ConfigException("maxConnectionsPerIpPerSecond must be >= 0 (0 disables), got " + n);
        }
        this.maxConnectionsPerIpPerSecond = n;
        return self();
    }

    /**
     * Time a client has to send its complete request head after the TCP accept, and an outbound hub link has
     * to get its upgrade answered; then the connection is closed (an outbound link is redialed with the
     * usual backoff). In ms. Default 10000.
     */
    public B handshakeTimeout(long millis) {
        if (millis < 100 || millis > 600_000) {
            throw new ConfigException("handshakeTimeout must be 100-600000 ms, got " + millis);
        }
        this.handshakeTimeoutMillis = millis;
        return self();
    }

    /** Same as {@link #handshakeTimeout(long)} with a {@link Duration}. */
    public B handshakeTimeout(Duration d) {
        return handshakeTimeout(millis("handshakeTimeout", d));
    }

    /** Most peers of other hubs kept in a hub's directory. Default 500000. */
    public B maxRemotePeers(int n) {
        this.maxRemotePeers = positive("maxRemotePeers", n);
        return self();
    }

    /**
     * A check run before every WebSocket upgrade (after the built-in ones): see {@link AdmissionHook}.
     * Default none.
     */
    public B admission(AdmissionHook hook) {
        this.admission = hook;
        return self();
    }

    /**
     * Serves {@code wss://} and {@code https://} on the listening port with this server context (null: plain
     * {@code ws://}, the default).
     */
    public B tls(javax.net.ssl.SSLContext context) {
        this.tls = context;
        return self();
    }

    /** {@link #tls(javax.net.ssl.SSLContext)} from a PEM certificate chain and a PEM PKCS#8 RSA or EC key. */
    public B tlsPem(java.nio.file.Path certFile, java.nio.file.Path keyFile) {
        try {
            this.tls = dev.peerpigeon.support.TlsFiles.fromPem(certFile, keyFile);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        return self();
    }

    /**
     * The client context hub links use to dial {@code wss://} bootstraps (its trust managers decide which
     * certificates are accepted). Default null: the JVM's default trust.
     */
    public B tlsTrust(javax.net.ssl.SSLContext context) {
        this.tlsTrust = context;
        return self();
    }

    /**
     * Reverse proxies (IPs or CIDRs, IPv4 and IPv6) whose {@code X-Forwarded-For} / RFC 7239 {@code Forwarded}
     * headers give the client address used by the per-IP limits, refusal logs, protected mode and the admission
     * hook (rule: right-most address that is not a trusted proxy; see the README's proxy section). From any
     * other peer those headers are ignored. Default none.
     */
    public B trustedProxies(java.util.List<String> proxies) {
        java.util.List<String> list = java.util.List.copyOf(proxies);
        try {
            dev.peerpigeon.support.TrustedProxies.parse(list);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("trustedProxies: " + e.getMessage());
        }
        this.trustedProxies = list;
        return self();
    }

    /**
     * Cluster mode: makes this server a node of the cluster named by {@link #hubMeshNamespace(String)} that shares
     * this Redis ({@code redis://[user:password@]host:port[/db]}, {@code rediss://} for TLS); null or empty: off.
     * Needs io.lettuce:lettuce-core on the class path (the server jar has it). See README "Cluster".
     */
    public B redisUrl(String url) {
        this.redisUrl = ServerConfig.validateRedisUrl(url);
        return self();
    }

    /** Serves the operator page {@code /status} and its data {@code /status.json} (else 404). Default true. */
    public B statusPage(boolean enabled) {
        this.statusPage = enabled;
        return self();
    }

    /** Validates the options together and returns the immutable configuration. */
    public ServerConfig buildConfig() {
        return ServerConfig.from(this);
    }
}

package dev.peerpigeon.runtime;

import dev.peerpigeon.PeerPigeonException.BindException;
import dev.peerpigeon.ServerConfig;
import dev.peerpigeon.federation.HubMesh;
import dev.peerpigeon.federation.MeshObserver;
import dev.peerpigeon.federation.MeshSettings;
import dev.peerpigeon.http.HttpEndpoints;
import dev.peerpigeon.signaling.Federation;
import dev.peerpigeon.signaling.HubAccess;
import dev.peerpigeon.signaling.IpLimiter;
import dev.peerpigeon.signaling.PeerRegistry;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingService;
import dev.peerpigeon.signaling.SignalingSettings;
import dev.peerpigeon.transport.WebSocketHubConnector;
import dev.peerpigeon.transport.WebSocketTransport;
import dev.peerpigeon.support.TrustedProxies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * One run of a server: every component, built once by {@link #start} (which also binds the port), all final.
 * The facade publishes the finished instance once, through one volatile reference. Lifecycle calls
 * ({@link #startFederation}, {@link #shutdown}, {@link #release}) come from the facade under its lifecycle lock
 * or after it decided the state; the components themselves are thread-safe.
 */
public final class ServerRuntime {
    private static final Logger log = LoggerFactory.getLogger(ServerRuntime.class);
    /** How long stop() waits for sockets to close before dropping them. */
    private static final int STOP_TIMEOUT_MILLIS = 2000;

    /** What a run asks of the facade that owns it. */
    public interface Host {
        /** Whether new connections may open (starting or running). */
        boolean accepting();

        /** The transport stopped on its own; called at most once, on a transport thread. */
        void transportFailed(Throwable cause);
    }

    private final ServerConfig config;
    private final PeerRegistry registry;
    private final HubAccess hubAccess;
    private final HubMesh hubMesh;         // null unless a hub
    private final ClusterNode cluster;     // null unless a cluster node (REDIS_URL)
    private final StatsCollector stats;
    private final WebSocketTransport<PeerSession> transport;
    private final int port;
    private final LivenessMonitor liveness;
    private final TakeoverProbes takeovers;
    private final ServerMetrics metrics;

    private ServerRuntime(ServerConfig cfg, EventDispatcher events, Host host, ServerMetrics metrics) {
        this.config = cfg;
        ServerConfig.Limits lim = cfg.limits();
        ServerConfig.Hub hub = cfg.hub();
        registry = new PeerRegistry(lim.maxConnections(), lim.maxNetworks());
        this.metrics = metrics;
        SignalingService signaling = new SignalingService(registry, new SignalingSettings(hub.namespace(),
                lim.maxNetworkNameLength(), lim.maxAnnounceDataBytes(), lim.maxMessagesPerSecond(), lim.messageBurst()));
        IpLimiter ipLimiter = new IpLimiter(lim.maxConnectionsPerIp(), lim.maxConnectionsPerIpPerSecond(),
                lim.maxConnections());
        signaling.observer(events.signalingObserver());
        signaling.meters(metrics);
        hubAccess = new HubAccess(hub.secret(), hub.allowUnauthenticatedHubs());
        signaling.hubAccess(hubAccess);
        hubMesh = hub.enabled() ? createMesh(cfg, signaling, metrics.countingLinks(events.meshObserver())) : null;
        cluster = cfg.redisUrl() == null ? null : ClusterNode.create(cfg, signaling);
        Federation federation = CombinedFederation.of(hubMesh, cluster == null ? null : cluster.federation());
        signaling.federation(federation);
        stats = new StatsCollector(cfg, registry, hubMesh, metrics);
        if (cluster != null) {
            stats.cluster(cluster);
        }
        HttpEndpoints http = new HttpEndpoints(cfg.listen().corsOrigin(), stats, cfg.statusPage());
        TrustedProxies proxies = TrustedProxies.parse(cfg.trustedProxies()); // validated by the builder
        UpgradeGate gate = new UpgradeGate(registry, signaling, ipLimiter, hubAccess, hubMesh, federation, http, cfg.admission(),
                lim.maxConnections(), metrics, stats, hub.namespace(), proxies);
        takeovers = new TakeoverProbes(registry, cfg.liveness().handshakeTimeout().toMillis(), cfg.listen().port());
        TransportBridge bridge = new TransportBridge(host, signaling, ipLimiter, hubAccess, hubMesh, http, gate,
                lim.maxMessageSize(), cfg.verboseLogging(), proxies, takeovers);
        transport = bind(cfg, bridge, metrics);
        port = transport.port();
        stats.bound(port, System.currentTimeMillis());
        liveness = new LivenessMonitor(registry, ipLimiter, cfg.liveness().peerTimeout().toMillis(),
                cfg.liveness().pingInterval().toMillis(), cfg.liveness().pingDeadline().toMillis(), port);
    }

    /** The one place the hub mesh is built for the run (the constructor hands signaling the federation). */
    private static HubMesh createMesh(ServerConfig cfg, SignalingService signaling, MeshObserver observer) {
        ServerConfig.Hub hub = cfg.hub();
        ServerConfig.Limits lim = cfg.limits();
        ServerConfig.Liveness live = cfg.liveness();
        HubMesh mesh = new HubMesh(new MeshSettings(hub.id(), hub.namespace(), cfg.listen().host(), hub.secret(),
                hub.bootstrap(), hub.autoConnect(), hub.defaultBootstrapPort(), hub.reconnect().initial().toMillis(),
                hub.reconnect().max().toMillis(), hub.reconnect().maxAttempts(), lim.maxMessageSize(),
                live.pingInterval().toMillis(), lim.maxQueuedFrames(), live.cleanupInterval().toMillis(),
                lim.maxRemotePeers(), live.handshakeTimeout().toMillis(), hub.advertiseUri(), cfg.tls() != null,
                hub.minPeers(), hub.maxPeers()),
                signaling, observer, new WebSocketHubConnector(cfg.tlsTrust()));
        return mesh;
    }

    /**
     * Builds a run and binds its port (trying the next {@code portRetries} ports when taken, as the reference).
     *
     * @throws BindException when no port could be bound
     */
    public static ServerRuntime start(ServerConfig cfg, EventDispatcher events, Host host, ServerMetrics metrics) {
        return new ServerRuntime(cfg, events, host, metrics);
    }

    private static WebSocketTransport<PeerSession> bind(ServerConfig cfg, TransportBridge bridge, ServerMetrics metrics) {
        ServerConfig.Listen listen = cfg.listen();
        ServerConfig.Limits lim = cfg.limits();
        int first = listen.port();
        int last = first == 0 ? 0 : Math.min(65535, first + listen.portRetries());
        IOException lastError = null;
        for (int p = first; p <= last; p++) {
            if (p != 0 && !WebSocketTransport.canBind(listen.host(), p)) {
                log.debug("Port {} is in use", p);
                lastError = new java.net.BindException("Address already in use");
                continue;
            }
            // A hub's links carry relayed client frames plus routing fields: they get headroom over the client
            // limit, which TransportBridge.onMessage enforces for client connections.
            int frameLimit = cfg.hub().enabled() ? HubMesh.linkFrameLimit(lim.maxMessageSize()) : lim.maxMessageSize();
            WebSocketTransport<PeerSession> t = new WebSocketTransport<>(new WebSocketTransport.Settings(
                    listen.host(), p, frameLimit, listen.workerThreads(), lim.maxQueuedFrames(), lim.maxQueuedBytes(),
                    cfg.liveness().handshakeTimeout().toMillis(), cfg.tls()), bridge);
            t.meters(metrics);
            try {
                t.start(10_000);
                if (p != first) {
                    log.info("Port {} was in use, using port {} instead", first, t.port());
                }
                return t;
            } catch (IOException e) {
                t.stop(100);
                lastError = e;
                log.debug("Could not bind {}:{}: {}", listen.host(), p, e.toString());
            }
        }
        String range = first == last ? "port " + first : "ports " + first + "-" + last;
        throw new BindException("Could not bind " + listen.host() + " on " + range + ": "
                + (lastError == null ? "unknown error" : lastError.getMessage())
                + (first == last ? "" : " (tried " + (last - first + 1) + " ports)"), lastError);
    }

    public int port() {
        return port;
    }

    public StatsCollector stats() {
        return stats;
    }

    /** The hub mesh, or null on a plain server. */
    public HubMesh hubMesh() {
        return hubMesh;
    }

    /** Starts dialing (hubs). Once, after the facade marked the run as running. */
    public void startFederation() {
        if (hubMesh != null) {
            hubMesh.start(port);
        }
        if (cluster != null) {
            cluster.start();
        }
    }

    public void logStarted() {
        ServerConfig cfg = config;
        ServerConfig.Hub hub = cfg.hub();
        String kind = hub.enabled() ? "PeerPigeon Hub Server" : "PeerPigeon WebSocket Server";
        log.info("{} started on {}://{}:{}", kind, cfg.tls() == null ? "ws" : "wss", cfg.listen().host(), port);
        if (hub.enabled()) {
            log.info("Hub mesh namespace: {}", hub.namespace());
            log.info("Hub peer id: {}", hub.id());
        }
        if (hubAccess.open()) {
            log.warn("Hub mesh access: {}", hubAccess.describeMode());
        } else {
            log.info("Hub mesh access: {}", hubAccess.describeMode());
        }
        if (hub.secret() != null && hub.allowUnauthenticatedHubs()) {
            log.warn("allowUnauthenticatedHubs (ALLOW_UNAUTHENTICATED_HUBS) is ignored: HUB_SECRET is set");
        }
        log.info("Max connections: {}, peer timeout: {} ms, ping interval: {} ms (dropped after {} missed: {} ms)",
                cfg.limits().maxConnections(), cfg.liveness().peerTimeout().toMillis(),
                cfg.liveness().pingInterval().toMillis(), cfg.liveness().maxMissedPings(),
                cfg.liveness().pingDeadline().toMillis());
    }

    /** Stops the mesh, closes every connection with 1000 "Server shutting down", releases the port. */
    public void shutdown() {
        if (cluster != null) {
            cluster.stop(); // first: the other nodes drop this node's peers at once, not after its heartbeat expires
        }
        if (hubMesh != null) {
            hubMesh.stop();
        }
        for (PeerSession s : registry.sessions()) {
            s.connection().close(1000, "Server shutting down");
        }
        release();
    }

    /** Releases the threads and the port without the goodbye (a run that never served). */
    public void release() {
        if (cluster != null) {
            cluster.close();
        }
        liveness.stop();
        takeovers.stop();
        transport.stop(STOP_TIMEOUT_MILLIS);
    }
}

package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.ConfigException;
import dev.peerpigeon.PeerPigeonException.StateException;
import dev.peerpigeon.federation.HubMesh;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.runtime.EventDispatcher;
import dev.peerpigeon.runtime.ServerMetrics;
import dev.peerpigeon.runtime.ServerRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
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
    /** The counters, one set per server object: they keep counting across restarts (monotonic for scrapers). */
    private final ServerMetrics metrics = new ServerMetrics();
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
                run = ServerRuntime.start(cfg, events, new Host(), metrics);
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
                try {
                    run.startFederation(); // under the lock: a concurrent stop() sees a started mesh or none
                } catch (RuntimeException e) {
                    state = State.STOPPED;
                    run.shutdown();
                    events.fire(new ServerEvent.Error(e));
                    throw e;
                }
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

    /** The WebSocket URI clients connect to ({@code ws://host:port}, {@code wss://} with TLS), or null before start. */
    public URI uri() {
        int p = port();
        return p < 0 ? null : URI.create((config.tls() == null ? "ws://" : "wss://") + hostForUri(config.listen().host()) + ":" + p);
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

    /** A snapshot of the meters {@code GET /metrics} renders (gauges 0 when not running). Any thread. */
    public MetricsSnapshot getMetrics() {
        ServerRuntime run = runtime;
        return metrics.snapshot(run == null ? new ServerMetrics.Gauges(0, 0, 0, 0, 0, 0) : run.stats().gauges());
    }

    public HubStats getHubStats() {
        ServerRuntime run = runtime;
        return run == null ? new HubStats(0, 0, List.of(), List.of(), 0) : run.stats().hubStats();
    }

    /** The hub mesh as this hub knows it (what {@code /status} draws); empty lists when stopped or not a hub. */
    public MeshStatus getMeshStatus() {
        ServerRuntime run = runtime;
        return run == null ? new MeshStatus(config.hub().id(), List.of(), List.of()) : run.stats().meshStatus();
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

    /**
     * The hub mesh connector, or null when this server is not a hub. Package-private: internals never reach the
     * API; the test kit reads mesh state through its own bridge in this package.
     */
    HubMesh hubMesh() {
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
     * The one builder of a server and its {@link ServerConfig}: collects options, each checked when set (see
     * the setters, inherited from a package-private base); {@link #buildConfig()} validates them together
     * (refusing, never adjusting) and {@link #build()} creates the server. Not thread-safe: one thread fills it.
     */
    public static final class Builder extends ServerOptions<Builder> {
        Builder() {
        }

        Builder(ServerConfig c) {
            copyFrom(c);
        }

        @Override
        Builder self() {
            return this;
        }

        /** Validates the options and creates the (not yet started) server. */
        public PeerPigeonServer build() {
            return new PeerPigeonServer(buildConfig());
        }
    }
}

package dev.peerpigeon.launcher;

import dev.peerpigeon.PeerPigeonException;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerConfig;
import dev.peerpigeon.ServerEvent;
import dev.peerpigeon.ServerListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Standalone server configured by the reference's environment variables (see README): PORT, HOST,
 * MAX_CONNECTIONS, CORS_ORIGIN, HUB_MESH_NAMESPACE, IS_HUB, BOOTSTRAP / BOOTSTRAP_HUBS, HUB_ID,
 * AUTO_CONNECT, HUB_SECRET, ALLOW_UNAUTHENTICATED_HUBS. Stops gracefully on SIGINT / SIGTERM. When the server
 * stops on its own (its transport failed, e.g. out of memory) the process exits with status 1, so a supervisor
 * restarts it.
 */
public final class ServerLauncher {
    private static final Logger log = LoggerFactory.getLogger(ServerLauncher.class);

    private ServerLauncher() {
    }

    /** Exit status when a server stopped on its own (not by a signal). */
    static final int EXIT_FAILED = 1;

    public static void main(String[] args) throws InterruptedException {
        PeerPigeonServer server;
        try {
            server = launch(System.getenv());
        } catch (PeerPigeonException e) {
            log.error("Cannot start: {}", e.getMessage());
            System.exit(2);
            return;
        }
        exitOnFailure(runUntilSignal(List.of(server), server::stop));
    }

    /** Exits the JVM with {@code status} unless it is 0 (a signal already runs the JVM's shutdown). */
    static void exitOnFailure(int status) {
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Blocks until SIGINT/SIGTERM, then runs {@code stop} (graceful shutdown of what was launched) and returns 0;
     * or until one of {@code servers} stops on its own (its transport failed), then stops the rest and returns
     * {@link #EXIT_FAILED}: a process that serves nothing must end so that its supervisor restarts it.
     */
    static int runUntilSignal(List<PeerPigeonServer> servers, Runnable stop) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Shutting down...");
            stop.run();
            done.countDown();
        }, "peerpigeon-shutdown"));
        for (PeerPigeonServer server : servers) {
            server.addListener(new ServerListener() {
                @Override
                public void stopped(ServerEvent.Stopped e) {
                    if (e.failed()) {
                        failure.compareAndSet(null, e.cause());
                        done.countDown();
                    }
                }
            });
            if (!server.isRunning()) { // stopped before the listener was added
                failure.compareAndSet(null, new IllegalStateException("server on port " + server.getPort()
                        + " is not running"));
                done.countDown();
            }
        }
        done.await();
        Throwable cause = failure.get();
        if (cause == null) {
            return 0;
        }
        log.error("A server stopped on its own ({}); exiting with status {} so that a supervisor restarts it",
                cause.toString(), EXIT_FAILED);
        stop.run();
        return EXIT_FAILED;
    }

    /** Builds and starts a server from environment variables. */
    public static PeerPigeonServer launch(Map<String, String> env) {
        ServerConfig config = ServerConfig.fromEnvironment(env);
        if (!config.hub().namespace().equals(ServerConfig.DEFAULT_NAMESPACE)) {
            log.info("Using custom hub mesh namespace: {}", config.hub().namespace());
        }
        return PeerPigeonServer.create(config).start();
    }
}

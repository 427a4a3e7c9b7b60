package dev.peerpigeon.examples;

import dev.peerpigeon.PeerPigeonException;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Standalone server configured by the reference's environment variables (see README): PORT, HOST,
 * MAX_CONNECTIONS, CORS_ORIGIN, HUB_MESH_NAMESPACE, IS_HUB, BOOTSTRAP / BOOTSTRAP_HUBS, HUB_ID,
 * AUTO_CONNECT, HUB_SECRET, ALLOW_UNAUTHENTICATED_HUBS. Stops gracefully on SIGINT / SIGTERM.
 */
public final class ServerLauncher {
    private static final Logger log = LoggerFactory.getLogger(ServerLauncher.class);

    private ServerLauncher() {
    }

    public static void main(String[] args) throws InterruptedException {
        PeerPigeonServer server;
        try {
            server = launch(System.getenv());
        } catch (PeerPigeonException e) {
            log.error("Cannot start: {}", e.getMessage());
            System.exit(2);
            return;
        }
        runUntilSignal(server::stop);
    }

    /** Blocks until SIGINT/SIGTERM, then runs {@code stop} (graceful shutdown of what was launched). */
    static void runUntilSignal(Runnable stop) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("Shutting down...");
            stop.run();
            stopped.countDown();
        }, "peerpigeon-shutdown"));
        stopped.await();
    }

    /** Builds and starts a server from environment variables. */
    public static PeerPigeonServer launch(Map<String, String> env) {
        ServerConfig config = ServerConfig.fromEnvironment(env);
        if (!config.hubMeshNamespace().equals(ServerConfig.DEFAULT_NAMESPACE)) {
            log.info("Using custom hub mesh namespace: {}", config.hubMeshNamespace());
        }
        return PeerPigeonServer.create(config).start();
    }
}

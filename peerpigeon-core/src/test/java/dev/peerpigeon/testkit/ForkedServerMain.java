package dev.peerpigeon.testkit;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerConfig;

import java.io.IOException;

/**
 * Main class of {@link ForkedJvm} servers: a server configured by the environment (like the launcher), on an
 * ephemeral port of 127.0.0.1. Prints {@code FORKED-PORT <port>}, serves until its stdin closes, then stops and
 * exits 0; prints {@code FORKED-STOPPED <cause>} and exits 1 if the server stops on its own.
 */
public final class ForkedServerMain {
    private ForkedServerMain() {
    }

    public static void main(String[] args) throws IOException {
        ServerConfig config = ServerConfig.fromEnvironment(System.getenv()).toBuilder().port(0).host("127.0.0.1")
                .buildConfig();
        PeerPigeonServer server = PeerPigeonServer.create(config);
        server.addListener(new dev.peerpigeon.ServerListener() {
            @Override
            public void stopped(dev.peerpigeon.ServerEvent.Stopped e) {
                if (e.failed()) {
                    System.out.println("FORKED-STOPPED " + e.cause());
                    System.out.flush();
                    Runtime.getRuntime().halt(1);
                }
            }
        });
        server.start();
        System.out.println("FORKED-PORT " + server.getPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // serve until the parent closes our stdin (or dies)
        }
        server.stop();
        System.exit(0);
    }

    /** The port a forked server printed. */
    public static int awaitPort(ForkedJvm jvm) {
        String line = jvm.awaitLine(java.time.Duration.ofSeconds(30), "FORKED-PORT ");
        return Integer.parseInt(line.substring(line.indexOf("FORKED-PORT ") + 12).trim());
    }
}

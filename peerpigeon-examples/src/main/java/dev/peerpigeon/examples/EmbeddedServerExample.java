package dev.peerpigeon.examples;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerEvent;
import dev.peerpigeon.ServerListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Embedding the signaling server in an existing application: start it next to your own code, react
 * to peers through a listener, and stop it with the application.
 */
public final class EmbeddedServerExample {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedServerExample.class);

    /** What the application's listener saw, for the example's test. */
    public final List<String> seen = new CopyOnWriteArrayList<>();
    public final PeerPigeonServer server;

    public EmbeddedServerExample(int port) {
        server = PeerPigeonServer.builder()
                .port(port)
                .host("127.0.0.1")
                .maxConnections(500)
                .build();
        server.addListener(new ServerListener() {
            @Override
            public void peerConnected(ServerEvent.PeerConnected e) {
                seen.add("connected " + e.peerId());
                log.info("Peer {} connected ({} online)", e.peerId(), e.totalConnections());
            }

            @Override
            public void peerAnnounced(ServerEvent.PeerAnnounced e) {
                seen.add("announced " + e.peerId() + " in " + e.networkName());
                log.info("Peer {} joined network {}", e.peerId(), e.networkName());
            }

            @Override
            public void peerDisconnected(ServerEvent.PeerDisconnected e) {
                seen.add("disconnected " + e.peerId());
                log.info("Peer {} left ({} online)", e.peerId(), e.totalConnections());
            }
        });
    }

    public EmbeddedServerExample start() {
        server.start();
        return this;
    }

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        EmbeddedServerExample app = new EmbeddedServerExample(port).start();
        Runtime.getRuntime().addShutdownHook(new Thread(app.server::stop));
        log.info("Embedded signaling server on ws://127.0.0.1:{} - press Ctrl+C to stop", app.server.getPort());
        Thread.currentThread().join();
    }
}

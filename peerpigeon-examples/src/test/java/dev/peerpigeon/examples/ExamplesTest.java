package dev.peerpigeon.examples;

import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The examples users copy do what their javadoc says. */
class ExamplesTest {

    @Test
    void embeddedServerExampleReactsToPeers() {
        EmbeddedServerExample app = new EmbeddedServerExample(0).start();
        try {
            TestClient peer = TestClient.connect(app.server.getPort()).announce("chat");
            peer.sync();
            peer.close();
            Await.until("disconnect seen", () -> app.seen.contains("disconnected " + peer.peerId()));
            assertThat(app.seen).containsExactly("connected " + peer.peerId(),
                    "announced " + peer.peerId() + " in chat", "disconnected " + peer.peerId());
        } finally {
            app.server.stop();
        }
    }

    @Test
    void namespaceExampleWalksThroughEveryStep() {
        List<String> lines = NamespaceExample.run();
        assertThat(lines).containsExactly(
                "default: pigeonhub-mesh",
                "builder: production-mesh",
                "set before start: staging-mesh",
                "refused while running: Cannot change the hub mesh namespace while the server is running",
                "stats: staging-mesh");
    }
}

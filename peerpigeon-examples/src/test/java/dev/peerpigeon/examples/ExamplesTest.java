package dev.peerpigeon.examples;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.PeerPigeonException;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    @Test
    void launcherReadsTheEnvironment() throws Exception {
        try (PeerPigeonServer server = ServerLauncher.launch(Map.of("PORT", "0", "HOST", "127.0.0.1",
                "MAX_CONNECTIONS", "7", "HUB_MESH_NAMESPACE", "test-mesh"))) {
            String health = RawHttp.get(server.getPort(), "/health");
            assertThat(RawHttp.status(health)).isEqualTo(200);
            assertThat(server.getStats().maxConnections()).isEqualTo(7);
            assertThat(server.getHubMeshNamespace()).isEqualTo("test-mesh");
        }
        assertThatThrownBy(() -> ServerLauncher.launch(Map.of("PORT", "x")))
                .isInstanceOf(PeerPigeonException.ConfigException.class).hasMessageContaining("PORT");
    }
}

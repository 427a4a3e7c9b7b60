package dev.peerpigeon.examples;

import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.PrometheusText;
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
    void micrometerExampleBindsTheServerMetersToAPrometheusRegistry() {
        try (MicrometerExample app = new MicrometerExample(0).start()) {
            try (TestClient a = TestClient.connect(app.server.getPort()).announce("m");
                 TestClient b = TestClient.connect(app.server.getPort()).announce("m")) {
                a.awaitDiscovered(b.peerId());
                a.offer(b.peerId(), "v=0");
                b.awaitType("offer");
                // The binder reuses one snapshot for half a second: wait for a scrape that sees the relay.
                // Micrometer holds a function meter's state object weakly and the example drops its binder after
                // bindTo: a collection here must not freeze the meters (it did when they were bound to the binder).
                System.gc();
                Await.until("relayed offer in the registry", () ->
                        app.scrape().contains("peerpigeon_messages_relayed_total{type=\"offer\"} 1.0"));
                PrometheusText.Parsed p = PrometheusText.parse(app.scrape(), false);
                assertThat(p.value("peerpigeon_messages_received_total", "type", "offer")).isEqualTo(1);
                assertThat(p.value("peerpigeon_messages_received_total", "type", "announce")).isEqualTo(2);
                assertThat(p.value("peerpigeon_connections")).isEqualTo(2);
                assertThat(p.value("peerpigeon_refusals_total", "reason", "invalid_peer_id")).isZero();
                assertThat(p.value("peerpigeon_relay_latency_seconds_count")).isEqualTo(1);
            }
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

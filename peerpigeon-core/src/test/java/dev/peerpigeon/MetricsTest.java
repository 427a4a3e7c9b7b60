package dev.peerpigeon;

import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.PeerPigeonExtension;
import dev.peerpigeon.testkit.PrometheusText;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /metrics}: strictly parsed after real traffic over sockets; each family moves as it should. */
class MetricsTest {
    @RegisterExtension
    PeerPigeonExtension server = PeerPigeonExtension.server(b -> b.maxQueuedBytes(64 * 1024));

    static PrometheusText.Parsed scrape(int port) {
        try {
            String response = RawHttp.get(port, "/metrics");
            assertThat(RawHttp.status(response)).as(response).isEqualTo(200);
            assertThat(response).contains("Content-Type: text/plain; version=0.0.4");
            return PrometheusText.parse(RawHttp.body(response), false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aRelayedOfferMovesReceivedRelayedLatencyAndTheGauges() {
        PrometheusText.Parsed before = scrape(server.port());
        try (TestClient a = TestClient.connect(server.port()).announce("m");
             TestClient b = TestClient.connect(server.port()).announce("m")) {
            a.awaitDiscovered(b.peerId());
            a.offer(b.peerId(), "v=0");
            b.awaitType("offer");
            a.send("{\"type\":\"no-such-type\"}");
            a.awaitType("error");
            PrometheusText.Parsed after = scrape(server.port());
            assertThat(delta(before, after, "peerpigeon_messages_received_total", "type", "offer")).isEqualTo(1);
            assertThat(delta(before, after, "peerpigeon_messages_relayed_total", "type", "offer")).isEqualTo(1);
            assertThat(delta(before, after, "peerpigeon_messages_received_total", "type", "announce")).isEqualTo(2);
            assertThat(delta(before, after, "peerpigeon_messages_received_total", "type", "other")).isEqualTo(1);
            assertThat(delta(before, after, "peerpigeon_messages_relayed_total", "type", "answer")).isZero();
            assertThat(delta(before, after, "peerpigeon_errors_sent_total")).isEqualTo(1);
            assertThat(delta(before, after, "peerpigeon_relay_latency_seconds_count")).isEqualTo(1);
            assertThat(after.value("peerpigeon_relay_latency_seconds_bucket", "le", "1")).isEqualTo(
                    after.value("peerpigeon_relay_latency_seconds_count"));
            assertThat(after.value("peerpigeon_relay_latency_seconds_sum")).isGreaterThan(0);
            assertThat(after.value("peerpigeon_connections")).isEqualTo(2);
            assertThat(after.value("peerpigeon_peers")).isEqualTo(2);
            assertThat(after.value("peerpigeon_networks")).isEqualTo(1);
            assertThat(after.value("peerpigeon_hub_links")).isZero();
            assertThat(after.value("peerpigeon_remote_peers")).isZero();
            assertThat(after.value("peerpigeon_send_queue_bytes")).isGreaterThanOrEqualTo(0);
            assertThat(after.types()).containsEntry("peerpigeon_refusals_total", "counter")
                    .containsEntry("peerpigeon_relay_latency_seconds", "histogram")
                    .containsEntry("peerpigeon_connections", "gauge")
                    .containsKeys("peerpigeon_slow_consumers_dropped_total", "peerpigeon_hub_link_events_total");
            // The embedder's view counts the same.
            assertThat(server.get().getMetrics().messagesRelayed().get("offer"))
                    .isEqualTo((long) after.value("peerpigeon_messages_relayed_total", "type", "offer"));
        }
    }

    @Test
    void openMetricsWhenAccepted() throws IOException {
        String response = RawHttp.exchange(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n"
                + "Accept: application/openmetrics-text; version=1.0.0,text/plain;q=0.5\r\n\r\n");
        assertThat(response).contains("Content-Type: application/openmetrics-text; version=1.0.0");
        PrometheusText.Parsed parsed = PrometheusText.parse(RawHttp.body(response), true);
        assertThat(parsed.types()).containsEntry("peerpigeon_refusals", "counter");
        assertThat(parsed.value("peerpigeon_refusals_total", "reason", "full")).isZero();
    }

    @Test
    void aRefusedBadPeerIdCountsAsInvalidPeerId() throws IOException {
        try (Bystanders by = Bystanders.join(server.port(), "m")) {
            PrometheusText.Parsed before = scrape(server.port());
            assertThat(RawHttp.status(RawHttp.upgrade(server.port(), "/?peerId=not-hex"))).isEqualTo(101); // then 1008
            PrometheusText.Parsed after = scrape(server.port());
            assertThat(delta(before, after, "peerpigeon_refusals_total", "reason", "invalid_peer_id")).isEqualTo(1);
            assertThat(delta(before, after, "peerpigeon_refusals_total", "reason", "duplicate")).isZero();
            String id = by.a().peerId();
            assertThat(RawHttp.status(RawHttp.upgrade(server.port(), "/?peerId=" + id))).isEqualTo(409);
            assertThat(delta(after, scrape(server.port()), "peerpigeon_refusals_total", "reason", "duplicate"))
                    .isEqualTo(1);
            by.relayBothWays();
        }
    }

    @Test
    void aDroppedSlowConsumerIsCounted() throws IOException {
        try (Bystanders by = Bystanders.join(server.port(), "m")) {
            PrometheusText.Parsed before = scrape(server.port());
            String id = PeerId.generate();
            try (RawWebSocket paused = new RawWebSocket(server.port(), "/?peerId=" + id);
                 TestClient sender = TestClient.connect(server.port()).announce("slow")) {
                paused.setReceiveBuffer(4096);
                paused.sendText("{\"type\":\"announce\",\"data\":{},\"networkName\":\"slow\"}");
                sender.awaitDiscovered(id);
                String sdp = "s".repeat(100_000);
                // Until the receiver, which never reads, overflows its 64 KiB queue (past the kernel's buffers).
                for (int i = 0; i < 200 && scrape(server.port()).value("peerpigeon_slow_consumers_dropped_total")
                        == before.value("peerpigeon_slow_consumers_dropped_total"); i++) {
                    sender.offer(id, sdp);
                    sender.sync();
                }
                assertThat(paused.awaitServerClose(10_000)).isTrue();
            }
            assertThat(delta(before, scrape(server.port()), "peerpigeon_slow_consumers_dropped_total")).isEqualTo(1);
            by.relayBothWays();
        }
    }

    @Test
    void metricsFalseAnswers404() throws IOException {
        ServerConfig cfg = ServerConfig.fromEnvironment(Map.of("PORT", "0", "HOST", "127.0.0.1", "METRICS", "false"));
        assertThat(cfg.metrics()).isFalse();
        PeerPigeonServer off = PeerPigeonServer.create(cfg).start();
        try {
            assertThat(RawHttp.status(RawHttp.get(off.getPort(), "/metrics"))).isEqualTo(404);
            assertThat(RawHttp.status(RawHttp.get(off.getPort(), "/health"))).isEqualTo(200);
        } finally {
            off.stop();
        }
        assertThat(ServerConfig.fromEnvironment(Map.of()).metrics()).isTrue();
    }

    @Test
    void hubLinksAreCountedOnBothHubs() {
        try (HubCluster hubs = HubCluster.of("metrics-mesh").start(2, HubCluster.chain(2))) {
            hubs.awaitConverged(Duration.ofSeconds(20));
            for (int i = 0; i < 2; i++) {
                int port = hubs.hub(i).getPort();
                Await.until("hub " + i + " counts its link", Duration.ofSeconds(10), () -> {
                    PrometheusText.Parsed p = scrape(port);
                    return p.value("peerpigeon_hub_links") == 1
                            && p.value("peerpigeon_hub_link_events_total", "event", "registered") >= 1;
                });
            }
            assertThat(scrape(hubs.hub(0).getPort()).value("peerpigeon_hub_link_events_total", "event",
                    "bootstrap_connected") + scrape(hubs.hub(1).getPort()).value("peerpigeon_hub_link_events_total",
                    "event", "bootstrap_connected")).isGreaterThanOrEqualTo(1);
        }
    }

    private static double delta(PrometheusText.Parsed before, PrometheusText.Parsed after, String name, String... labels) {
        return after.value(name, labels) - before.value(name, labels);
    }
}

package dev.peerpigeon.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.HubStats;
import dev.peerpigeon.ServerStats;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The endpoint documents as pure functions of snapshots. */
class StatusDocumentsTest {
    private static final long NOW = 1_700_000_000_000L;
    private static final ServerStats STATS = new ServerStats(true, true, "ab".repeat(20), "prod-mesh", 7, 4, 2, 3, 2, 1,
            1000, 12_345, "127.0.0.1", 3001);
    private static final HubStats HUBS = new HubStats(1, 1, List.of(new HubStats.Hub("cd".repeat(20), "out",
            "prod-mesh", "prod-mesh", NOW - 5000, NOW - 100, "{\"region\":\"eu\"}")),
            List.of(new HubStats.Bootstrap(URI.create("ws://hub-b:3000"), true, NOW - 6000, 2, 0, "cd".repeat(20),
                    false)), 42);

    @Test
    void statsHasTheReferenceFields() {
        JsonObject o = StatusDocuments.stats(STATS);
        assertThat(o.get("isRunning").getAsBoolean()).isTrue();
        assertThat(o.get("hubPeerId").getAsString()).isEqualTo("ab".repeat(20));
        assertThat(o.get("hubMeshNamespace").getAsString()).isEqualTo("prod-mesh");
        assertThat(o.get("connections").getAsInt()).isEqualTo(7);
        assertThat(o.get("peers").getAsInt()).isEqualTo(4);
        assertThat(o.get("hubs").getAsInt()).isEqualTo(2);
        assertThat(o.get("networks").getAsInt()).isEqualTo(3);
        assertThat(o.getAsJsonObject("bootstrapHubs").get("total").getAsInt()).isEqualTo(2);
        assertThat(o.getAsJsonObject("bootstrapHubs").get("connected").getAsInt()).isEqualTo(1);
        assertThat(o.get("maxConnections").getAsInt()).isEqualTo(1000);
        assertThat(o.get("uptime").getAsLong()).isEqualTo(12_345);
        assertThat(o.get("host").getAsString()).isEqualTo("127.0.0.1");
        assertThat(o.get("port").getAsInt()).isEqualTo(3001);
    }

    @Test
    void healthReportsCountsMemoryAndTheClock() {
        JsonObject o = StatusDocuments.health(STATS, new StatusDocuments.Memory(1, 2, 3, 4, 5), 9.5, NOW, null);
        assertThat(o.get("status").getAsString()).isEqualTo("healthy");
        assertThat(o.get("timestamp").getAsString()).isEqualTo("2023-11-14T22:13:20Z");
        assertThat(o.get("uptime").getAsDouble()).isEqualTo(9.5);
        assertThat(o.get("isHub").getAsBoolean()).isTrue();
        assertThat(o.get("connections").getAsInt()).isEqualTo(7);
        JsonObject m = o.getAsJsonObject("memory");
        assertThat(List.of(m.get("rss").getAsLong(), m.get("heapTotal").getAsLong(), m.get("heapUsed").getAsLong(),
                m.get("external").getAsLong(), m.get("arrayBuffers").getAsLong())).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void hubsListsEachHubWithItsDataParsedAndItsUptime() {
        JsonObject o = StatusDocuments.hubs(HUBS, NOW);
        assertThat(o.get("totalHubs").getAsInt()).isEqualTo(1);
        JsonObject h = o.getAsJsonArray("hubs").get(0).getAsJsonObject();
        assertThat(h.get("peerId").getAsString()).isEqualTo("cd".repeat(20));
        assertThat(h.get("direction").getAsString()).isEqualTo("out");
        assertThat(h.get("registeredAt").getAsLong()).isEqualTo(NOW - 5000);
        assertThat(h.get("connectedAt").getAsLong()).isEqualTo(NOW - 5000);
        assertThat(h.get("lastActivity").getAsLong()).isEqualTo(NOW - 100);
        assertThat(h.get("uptime").getAsLong()).isEqualTo(5000);
        assertThat(h.getAsJsonObject("data").get("region").getAsString()).isEqualTo("eu");
    }

    @Test
    void undecodableHubDataBecomesAnEmptyObject() {
        HubStats bad = new HubStats(1, 1, List.of(new HubStats.Hub("cd".repeat(20), "in", "n", "n", NOW, NOW, "{oops")),
                List.of(), 0);
        assertThat(StatusDocuments.hubs(bad, NOW).getAsJsonArray("hubs").get(0).getAsJsonObject()
                .getAsJsonObject("data").size()).isZero();
    }

    @Test
    void hubStatsAddsBootstrapStateRemotePeersAndRefusalsOnlyForHubs() {
        JsonObject o = StatusDocuments.hubStats(HUBS, Map.of("oversized", 3L), NOW);
        assertThat(o.get("connectedHubs").getAsInt()).isEqualTo(1);
        assertThat(o.get("remotePeers").getAsInt()).isEqualTo(42);
        JsonObject b = o.getAsJsonArray("bootstrapHubs").get(0).getAsJsonObject();
        assertThat(b.get("uri").getAsString()).isEqualTo("ws://hub-b:3000");
        assertThat(b.get("connected").getAsBoolean()).isTrue();
        assertThat(b.get("attemptNumber").getAsInt()).isEqualTo(2);
        assertThat(b.get("remoteHubId").getAsString()).isEqualTo("cd".repeat(20));
        assertThat(b.get("abandoned").getAsBoolean()).isFalse();
        assertThat(o.getAsJsonObject("refusedLinkFrames").get("oversized").getAsLong()).isEqualTo(3);
        assertThat(StatusDocuments.hubStats(HUBS, null, NOW).has("refusedLinkFrames")).isFalse();
    }

    @Test
    void theSameSnapshotGivesTheSameText() {
        String a = StatusDocuments.hubStats(HUBS, Map.of(), NOW).toString();
        assertThat(StatusDocuments.hubStats(HUBS, Map.of(), NOW).toString()).isEqualTo(a);
        assertThat(JsonParser.parseString(a).isJsonObject()).isTrue();
    }
}

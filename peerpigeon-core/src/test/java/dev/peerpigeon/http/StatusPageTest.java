package dev.peerpigeon.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.MeshStatus;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /status} and {@code /status.json} over a real socket, on the middle hub of a chain of three. */
class StatusPageTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    private static JsonObject statusJson(int port) throws Exception {
        String answer = RawHttp.get(port, "/status.json");
        assertThat(RawHttp.status(answer)).isEqualTo(200);
        return JsonParser.parseString(RawHttp.body(answer)).getAsJsonObject();
    }

    private static String sorted(String a, String b) {
        return a.compareTo(b) < 0 ? a + "-" + b : b + "-" + a;
    }

    @Test
    void theMiddleHubOfAChainShowsAllThreeHubsBothLinksAndPeerCountsWithoutPeerIds() throws Exception {
        try (HubCluster cluster = HubCluster.of("status-mesh").start(3, HubCluster.chain(3))) {
            cluster.awaitConverged(WAIT);
            PeerPigeonServer middle = cluster.hub(1);
            String[] ids = {cluster.hub(0).getStats().hubPeerId(),
                    middle.getStats().hubPeerId(), cluster.hub(2).getStats().hubPeerId()};
            TestClient a = cluster.client(0, "app");
            TestClient b = cluster.client(0, "app");
            TestClient c = cluster.client(1, "chat");
            TestClient d = cluster.client(2, "app");
            a.awaitDiscovered(d.peerId());
            d.awaitDiscovered(a.peerId());
            Await.until("peer counts known on the middle hub", WAIT, () -> {
                try {
                    JsonObject s = statusJson(middle.getPort());
                    int[] peers = new int[3];
                    for (JsonElement h : s.getAsJsonArray("hubs")) {
                        String id = h.getAsJsonObject().get("id").getAsString();
                        for (int i = 0; i < 3; i++) {
                            if (id.equals(ids[i])) {
                                peers[i] = h.getAsJsonObject().get("peers").getAsInt();
                            }
                        }
                    }
                    return peers[0] == 2 && peers[1] == 1 && peers[2] == 1;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            String text = RawHttp.body(RawHttp.get(middle.getPort(), "/status.json"));
            JsonObject s = JsonParser.parseString(text).getAsJsonObject();
            assertThat(s.get("namespace").getAsString()).isEqualTo("status-mesh");
            assertThat(s.get("hubId").getAsString()).isEqualTo(ids[1]);
            assertThat(s.get("uptimeSeconds").getAsLong()).isNotNegative();
            assertThat(s.getAsJsonObject("networks").get("chat").getAsInt()).isEqualTo(1);
            assertThat(s.getAsJsonObject("networks").has("app")).isFalse(); // counts are this hub's own peers
            List<String> hubIds = new ArrayList<>();
            s.getAsJsonArray("hubs").forEach(h -> hubIds.add(h.getAsJsonObject().get("id").getAsString()));
            assertThat(hubIds).containsExactlyInAnyOrder(ids);
            assertThat(hubIds.get(0)).isEqualTo(ids[1]); // this hub first
            Set<String> links = new TreeSet<>();
            for (JsonElement l : s.getAsJsonArray("links")) {
                JsonArray pair = l.getAsJsonArray();
                assertThat(pair.get(0).getAsString()).isLessThan(pair.get(1).getAsString());
                links.add(pair.get(0).getAsString() + "-" + pair.get(1).getAsString());
            }
            assertThat(links).containsExactlyInAnyOrder(sorted(ids[0], ids[1]), sorted(ids[1], ids[2]));
            for (TestClient t : List.of(a, b, c, d)) {
                assertThat(text).doesNotContain(t.peerId());
            }
            // The end hub sees the same graph, two hops to the far end.
            MeshStatus far = cluster.hub(0).getMeshStatus();
            assertThat(far.links()).hasSize(2);
            assertThat(far.hubs()).anyMatch(h -> h.id().equals(ids[2]) && h.hops() == 2);

            String page = RawHttp.get(middle.getPort(), "/status");
            assertThat(RawHttp.status(page)).isEqualTo(200);
            assertThat(page).contains("text/html").contains("data-hub-id").contains("status.json")
                    .doesNotContain(" src=").doesNotContain("<link").doesNotContain("href="); // nothing from a CDN
            a.offer(d.peerId(), "v=0 across the chain");
            d.awaitType("offer");
        }
    }

    @Test
    void theStatusPageCanBeSwitchedOff() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").statusPage(false).build()
                .start()) {
            assertThat(RawHttp.status(RawHttp.get(server.getPort(), "/status"))).isEqualTo(404);
            assertThat(RawHttp.status(RawHttp.get(server.getPort(), "/status.json"))).isEqualTo(404);
            assertThat(RawHttp.status(RawHttp.get(server.getPort(), "/health"))).isEqualTo(200);
        }
    }
}

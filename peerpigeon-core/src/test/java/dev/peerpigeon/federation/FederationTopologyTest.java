package dev.peerpigeon.federation;

import com.google.gson.JsonObject;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Federation semantics in every topology shape: full discovery (exactly once), signals both ways
 * (exactly once), late joiners, departures, and isolation of networks across hubs.
 */
class FederationTopologyTest {
    static final Duration CONVERGE = Duration.ofSeconds(20);

    static Stream<Arguments> topologies() {
        return Stream.of(
                Arguments.of("chain of 5", 5, HubCluster.chain(5)),
                Arguments.of("star of 4", 4, HubCluster.star(4)),
                Arguments.of("ring of 4", 4, HubCluster.ring(4)),
                Arguments.of("random 8", 8, HubCluster.random(8, 4, 42)));
    }

    static long discoveriesOf(TestClient c, String peerId) {
        return c.ofType("peer-discovered").stream()
                .filter(o -> o.getAsJsonObject("data").get("peerId").getAsString().equals(peerId)).count();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topologies")
    void everyPeerReachesEveryOtherExactlyOnce(String name, int n, int[][] edges) {
        try (HubCluster cluster = HubCluster.of("test-mesh").start(n, edges)) {
            cluster.awaitConverged(CONVERGE);
            List<TestClient> peers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                peers.add(cluster.client(i, "n1"));
            }
            TestClient outsider = cluster.client(n / 2, "other");
            // Full discovery, exactly once per pair.
            for (TestClient a : peers) {
                for (TestClient b : peers) {
                    if (a != b) {
                        a.awaitDiscovered(b.peerId());
                    }
                }
            }
            // Signals both ways between the two ends, each delivered exactly once.
            TestClient first = peers.get(0);
            TestClient last = peers.get(n - 1);
            first.offer(last.peerId(), "v=0 offer across the mesh");
            JsonObject offer = last.awaitType("offer");
            assertThat(offer.get("fromPeerId").getAsString()).isEqualTo(first.peerId());
            assertThat(offer.get("networkName").getAsString()).isEqualTo("n1");
            assertThat(offer.has("msgId")).as("routing fields never reach clients").isFalse();
            last.signal("answer", "{\"type\":\"answer\",\"sdp\":\"v=0 answer back\"}", first.peerId());
            first.awaitType("answer");
            last.signal("ice-candidate", "{\"candidate\":\"c\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}", first.peerId());
            first.awaitType("ice-candidate");
            // A late joiner on a middle hub learns everyone.
            TestClient late = cluster.client(n / 2, "n1");
            for (TestClient p : peers) {
                late.awaitDiscovered(p.peerId());
                p.awaitDiscovered(late.peerId());
            }
            // Departure propagates everywhere.
            last.close();
            for (int i = 0; i < n - 1; i++) {
                TestClient p = peers.get(i);
                p.await("peer-disconnected of the last peer", o -> isType(o, "peer-disconnected")
                        && o.getAsJsonObject("data").get("peerId").getAsString().equals(last.peerId()));
            }
            // Settle, then count: no duplicates anywhere, nothing leaked to another network.
            for (TestClient p : peers.subList(0, n - 1)) {
                p.sync();
            }
            for (TestClient a : peers.subList(0, n - 1)) {
                for (TestClient b : peers) {
                    if (a != b) {
                        assertThat(discoveriesOf(a, b.peerId())).as(name + ": discoveries of one peer").isEqualTo(1);
                    }
                }
                assertThat(discoveriesOf(a, late.peerId())).isEqualTo(1);
            }
            assertThat(last.ofType("offer")).hasSize(1);
            assertThat(first.ofType("answer")).hasSize(1);
            assertThat(first.ofType("ice-candidate")).hasSize(1);
            outsider.sync();
            assertThat(outsider.ofType("peer-discovered")).isEmpty();
            Await.until("directories emptied of the departed peer", () -> {
                for (int i = 0; i < n; i++) {
                    if (MeshView.knowsRemote(cluster.hub(i), "n1", last.peerId())) {
                        return false;
                    }
                }
                return true;
            });
        }
    }
}

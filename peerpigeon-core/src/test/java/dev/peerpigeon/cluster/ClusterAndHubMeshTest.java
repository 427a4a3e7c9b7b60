package dev.peerpigeon.cluster;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.RedisServer;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cluster node that is also a hub (REDIS_URL and IS_HUB): its hub links serve its own peers only; to the hub mesh
 * the node is one hub with its own peers, not the whole cluster (README "Cluster or hub mesh?").
 */
class ClusterAndHubMeshTest {

    private static PeerPigeonServer.Builder node(String ns) {
        return PeerPigeonServer.builder().port(0).host("127.0.0.1").hubMeshNamespace(ns).defaultBootstrapPort(0);
    }


    @Test
    void aNodeThatIsAlsoAHubServesItsOwnPeersOverItsHubLinksAndOnlyThem() {
        try (RedisServer redis = RedisServer.start();
             PeerPigeonServer hubNode = node("mixed").isHub(true).redisUrl(redis.url()).build().start();
             PeerPigeonServer plainNode = node("mixed").redisUrl(redis.url()).build().start();
             PeerPigeonServer hub = node("mixed").isHub(true)
                     .bootstrapHubs(List.of(URI.create("ws://127.0.0.1:" + hubNode.getPort()))).build().start();
             TestClient a = TestClient.connect(hubNode.getPort(), PeerId.generate()).announce("app");
             TestClient b = TestClient.connect(plainNode.getPort(), PeerId.generate()).announce("app");
             TestClient h = TestClient.connect(hub.getPort(), PeerId.generate()).announce("app")) {
            a.awaitDiscovered(b.peerId());
            a.awaitDiscovered(h.peerId());
            h.awaitDiscovered(a.peerId());
            // Signals both ways: the cluster to the other node, the hub link to the hub.
            a.offer(b.peerId(), "to-b");
            b.awaitType("offer");
            h.offer(a.peerId(), "to-a");
            assertThat(a.await("offer from h", m -> TestClient.isType(m, "offer")
                    && m.get("fromPeerId").getAsString().equals(h.peerId()), Duration.ofSeconds(10))).isNotNull();
            a.sync();
            b.sync();
            h.sync();
            assertThat(h.discoveredCount(b.peerId())).as("the hub mesh never learns the other nodes' peers").isZero();
            assertThat(b.discoveredCount(h.peerId())).as("nor do the other nodes learn the hub mesh's").isZero();
            assertThat(a.discoveredCount(h.peerId())).isEqualTo(1);
            assertThat(a.discoveredCount(b.peerId())).isEqualTo(1);
        }
    }
}

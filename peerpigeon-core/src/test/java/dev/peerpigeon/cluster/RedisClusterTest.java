package dev.peerpigeon.cluster;

import com.google.gson.JsonObject;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RedisClusterKit;
import dev.peerpigeon.testkit.RedisServer;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The cluster's semantics over real sockets and a real redis-server: the same as one big server. */
class RedisClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @BeforeAll
    static void redisInstalled() {
        RedisServer.assumeAvailable();
    }

    private static long discoveries(TestClient c, String peer) {
        return c.ofType("peer-discovered").stream()
                .filter(m -> m.getAsJsonObject("data").get("peerId").getAsString().equals(peer)).count();
    }

    @Test
    void peersOnDifferentNodesDiscoverEachOtherExactlyOnceIncludingALateJoinerAndSignalWithTheirRealIds() {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-a", 2)) {
            kit.awaitNodes(2, WAIT);
            TestClient a = kit.client(0, PeerId.generate()).announce("app");
            TestClient b = kit.client(1, PeerId.generate()).announce("app");
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());

            // Offer and answer across nodes, with the sender's real fromPeerId.
            a.offer(b.peerId(), "sdp-a");
            JsonObject offer = b.awaitType("offer");
            assertThat(offer.get("fromPeerId").getAsString()).isEqualTo(a.peerId());
            b.signal("answer", "{\"type\":\"answer\",\"sdp\":\"sdp-b\"}", a.peerId());
            JsonObject answer = a.awaitType("answer");
            assertThat(answer.get("fromPeerId").getAsString()).isEqualTo(b.peerId());
            b.signal("ice-candidate", "{\"candidate\":\"c\"}", a.peerId());
            assertThat(a.awaitType("ice-candidate").get("fromPeerId").getAsString()).isEqualTo(b.peerId());

            // A late node and a late joiner on it: it discovers both existing peers once, and they discover it once.
            int late = kit.addNode();
            kit.awaitNodes(3, WAIT);
            TestClient c = kit.client(late, PeerId.generate()).announce("app");
            c.awaitDiscovered(a.peerId());
            c.awaitDiscovered(b.peerId());
            a.awaitDiscovered(c.peerId());
            b.awaitDiscovered(c.peerId());
            a.sync();
            b.sync();
            c.sync();
            assertThat(discoveries(c, a.peerId())).isEqualTo(1);
            assertThat(discoveries(c, b.peerId())).isEqualTo(1);
            assertThat(discoveries(a, b.peerId())).isEqualTo(1);
            assertThat(discoveries(a, c.peerId())).isEqualTo(1);
            assertThat(discoveries(b, c.peerId())).isEqualTo(1);
        }
    }
}

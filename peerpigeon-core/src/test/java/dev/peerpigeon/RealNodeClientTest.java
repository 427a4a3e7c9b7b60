package dev.peerpigeon;

import dev.peerpigeon.testkit.NodeProcess;
import dev.peerpigeon.testkit.ReferencePackage;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The real peerpigeon@1.1.3 Node client (PeerPigeonMesh over ws, no WebRTC) against our server. */
class RealNodeClientTest {

    @Test
    void realClientsConnectAnnounceAndDiscoverEachOther() {
        String pkg = ReferencePackage.dir().toString();
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start()) {
            String url = "ws://127.0.0.1:" + server.getPort();
            String a = "a".repeat(40);
            String b = "b".repeat(40);
            // A scripted bystander in another network must hear nothing of them.
            TestClient other = TestClient.connect(server.getPort()).announce("elsewhere");
            other.sync();
            try (NodeProcess pa = ReferencePackage.node("node/real-client.mjs", pkg, url, "n1", a, b);
                 NodeProcess pb = ReferencePackage.node("node/real-client.mjs", pkg, url, "n1", b, a)) {
                pa.awaitEvent("done", Duration.ofSeconds(30));
                pb.awaitEvent("done", Duration.ofSeconds(30));
                assertThat(pa.events()).anyMatch(e -> e.get("event").getAsString().equals("peerDiscovered")
                        && e.get("peerId").getAsString().equals(b));
                assertThat(pb.events()).anyMatch(e -> e.get("event").getAsString().equals("peerDiscovered")
                        && e.get("peerId").getAsString().equals(a));
                assertThat(pa.awaitExit(Duration.ofSeconds(10))).isZero();
                assertThat(pb.awaitExit(Duration.ofSeconds(10))).isZero();
            }
            other.sync();
            assertThat(other.rawReceived()).noneMatch(f -> f.contains("a".repeat(40)) || f.contains("b".repeat(40)));
            other.close();
        }
    }
}

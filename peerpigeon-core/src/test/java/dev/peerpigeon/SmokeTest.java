package dev.peerpigeon;

import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SmokeTest {
    @Test
    void twoPeersDiscoverAndRelay() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start()) {
            TestClient a = TestClient.connect(server.getPort());
            TestClient b = TestClient.connect(server.getPort());
            a.awaitType("connected");
            a.announce("n1");
            b.announce("n1");
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());
            a.offer(b.peerId(), "v=0 sdp sdp sdp");
            var offer = b.awaitType("offer");
            assertThat(offer.get("fromPeerId").getAsString()).isEqualTo(a.peerId());
            String health = RawHttp.get(server.getPort(), "/health?x=1");
            assertThat(RawHttp.status(health)).isEqualTo(200);
            assertThat(RawHttp.body(health)).contains("\"status\":\"healthy\"");
            System.out.println(health);
            System.out.println(RawHttp.exchange(server.getPort(), "OPTIONS / HTTP/1.1\r\nHost: a b\r\n\r\n"));
        }
    }
}

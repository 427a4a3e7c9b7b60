package dev.peerpigeon.hardening;

import com.google.gson.JsonObject;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/** Item 5 (signaling part) of issue 9: re-announces cost the other members nothing, or a bounded amount. */
class AnnounceFloodTest {

    private static long about(TestClient receiver, String type, String peerId) {
        return receiver.ofType(type).stream()
                .filter(o -> o.getAsJsonObject("data").get("peerId").getAsString().equals(peerId)).count();
    }

    /** b's offer to a is queued to a after everything queued to a before it: when it arrives, a has seen all that. */
    private static String announce(String network, String dataJson) {
        return "{\"type\":\"announce\",\"data\":" + dataJson + ",\"maxPeers\":3,\"networkName\":\"" + network + "\"}";
    }

    @Test
    void reAnnouncingTheSameNetworkWithTheSameDataFansNothingOut() {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start()) {
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            TestClient a = by.a();
            TestClient b = by.b();
            TestClient x = TestClient.connect(server.getPort()).announce("n1");
            a.awaitDiscovered(x.peerId());
            b.awaitDiscovered(x.peerId());
            for (int i = 0; i < 8; i++) { // within the announce burst: none is refused, none tells anyone anything
                x.announce("n1"); // the real client's frame, identical each time
            }
            x.sync();
            Bystanders.relay(b, a);
            Bystanders.relay(a, b);
            for (TestClient bystander : new TestClient[] {a, b}) {
                assertThat(about(bystander, "peer-discovered", x.peerId())).isEqualTo(1);
                assertThat(about(bystander, "peer-disconnected", x.peerId())).isZero();
            }
            assertThat(x.ofType("error")).isEmpty();
            assertThat(x.ofType("peer-discovered")).hasSize(2); // a and b, once, on its first announce
            // A real change (new data) still reaches everyone: leave and join, once each.
            x.send(announce("n1", "{\"nick\":\"x2\"}"));
            JsonObject changed = a.await("x's new data", o -> isType(o, "peer-discovered")
                    && o.getAsJsonObject("data").get("peerId").getAsString().equals(x.peerId())
                    && o.getAsJsonObject("data").has("nick"));
            assertThat(changed.getAsJsonObject("data").get("nick").getAsString()).isEqualTo("x2");
            assertThat(about(a, "peer-disconnected", x.peerId())).isEqualTo(1);
            Bystanders.relay(x, a);
            Bystanders.relay(a, b);
        }
    }

    @Test
    void aPeerChangingItsAnnounceInALoopIsRateLimitedWithAnError() {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start()) {
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            TestClient a = by.a();
            TestClient b = by.b();
            TestClient x = TestClient.connect(server.getPort()).announce("n1");
            a.awaitDiscovered(x.peerId());
            long start = System.nanoTime();
            int sent = 200;
            for (int i = 0; i < sent; i++) { // every one differs: without the bound, each tells every member twice
                x.send(announce("n1", "{\"v\":" + i + "}"));
            }
            x.sync();
            double seconds = (System.nanoTime() - start) / 1e9;
            x.await("announce rate limit error", o -> isType(o, "error")
                    && o.get("error").getAsString().startsWith("Announce rate limit exceeded"));
            assertThat(x.isOpen()).isTrue(); // a burst is refused, not punished
            Bystanders.relay(b, a);
            Bystanders.relay(a, b);
            // At most the burst (10, the first announce included) plus what refilled (2/s) reached the others.
            long allowed = 10 + (long) Math.ceil(2 * seconds) + 1;
            assertThat(about(a, "peer-discovered", x.peerId())).isBetween(2L, allowed);
            assertThat(about(b, "peer-discovered", x.peerId())).isBetween(2L, allowed);
            assertThat(x.ofType("error").size()).isGreaterThanOrEqualTo((int) (sent - allowed));
            // x still works as a peer, and the bystanders relay.
            Bystanders.relay(x, a);
            Bystanders.relay(a, b);
            Bystanders.relay(b, a);
        }
    }
}

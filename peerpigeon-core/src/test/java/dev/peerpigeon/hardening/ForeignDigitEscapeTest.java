package dev.peerpigeon.hardening;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@code \\u} escape written with another script's digits (U+1090, U+0660...) is not JSON. It was accepted, and
 * since the bytes relay copies the low byte of each char, a client could make its hub send invalid UTF-8 over a hub
 * link, which the other hub closed (1007) with every signal on it. Now the sender gets an error, and the link and
 * the peers on it keep relaying.
 */
class ForeignDigitEscapeTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void anEscapeWithForeignDigitsIsRefusedAndTheHubLinkKeepsRelaying() {
        try (HubCluster cluster = HubCluster.of("escape-mesh", b -> b.maxMessagesPerSecond(0, 0))
                .start(2, HubCluster.chain(2))) {
            PeerPigeonServer h0 = cluster.hub(0);
            PeerPigeonServer h1 = cluster.hub(1);
            Await.until("linked", WAIT, () -> MeshView.reachableHubCount(h0) == 1 && MeshView.reachableHubCount(h1) == 1);
            try (TestClient attacker = TestClient.connect(h0.getPort()).announce("n1");
                 TestClient target = TestClient.connect(h1.getPort()).announce("n1");
                 TestClient bystander = TestClient.connect(h0.getPort()).announce("n1");
                 TestClient farBystander = TestClient.connect(h1.getPort()).announce("n1")) {
                attacker.awaitDiscovered(target.peerId());
                bystander.awaitDiscovered(farBystander.peerId());
                for (String digits : new String[]{"\u1090\u1090\u1090\u1090", "\u0660\u0660\u0664\u0661", "\uff10\uff10\uff21\uff21"}) {
                    attacker.send("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"v=0 \\u" + digits + "\"},"
                            + "\"targetPeerId\":\"" + target.peerId() + "\",\"networkName\":\"n1\"}");
                }
                Await.until("three errors", WAIT, () -> attacker.ofType("error").size() == 3);
                assertThat(attacker.ofType("error")).allSatisfy(e ->
                        assertThat(e.get("error").getAsString()).startsWith("Invalid JSON: bad unicode escape"));
                Bystanders.relay(bystander, farBystander);
                Bystanders.relay(farBystander, bystander);
                Bystanders.relay(attacker, target); // the attacker's own well-formed offers still cross
                assertThat(target.ofType("offer")).hasSize(1);
                assertThat(MeshView.reachableHubCount(h0)).isEqualTo(1);
            }
        }
    }
}

package dev.peerpigeon;

import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A peer that stops answering pings (a socket whose other end went silent: a Wi-Fi drop, a closed lid) is unlisted,
 * peer-disconnected to its network on every hub, within 15 s, with the default liveness settings.
 */
class GhostUnlistTest {

    private static PeerPigeonServer hub(String id, List<URI> bootstrap) {
        // Default liveness: only what makes it a test hub (port, host, namespace, no implicit :3000 bootstrap).
        return PeerPigeonServer.builder().port(0).host("127.0.0.1").isHub(true).hubMeshNamespace("ghost-mesh")
                .hubPeerId(id).defaultBootstrapPort(0).bootstrapHubs(bootstrap).build().start();
    }

    @Test
    void aPeerThatStopsAnsweringPingsIsUnlistedOnEveryHubWithinFifteenSeconds() throws Exception {
        ServerConfig defaults = PeerPigeonServer.builder().buildConfig();
        assertThat(defaults.liveness().pingDeadline()).isLessThanOrEqualTo(Duration.ofSeconds(13));
        try (PeerPigeonServer a = hub(PeerId.generate(), List.of());
             PeerPigeonServer b = hub(PeerId.generate(), List.of(URI.create("ws://127.0.0.1:" + a.getPort())))) {
            Await.until("hubs linked", Duration.ofSeconds(10), () -> MeshView.reachableHubCount(b) == 1
                    && MeshView.reachableHubCount(a) == 1);
            TestClient near = TestClient.connect(a.getPort()).announce("n1");
            TestClient far = TestClient.connect(b.getPort()).announce("n1");
            String id = PeerId.generate();
            try (RawWebSocket ghost = new RawWebSocket(a.getPort(), "/?peerId=" + id)) { // never answers a ping
                assertThat(RawHttp.status(ghost.handshakeResponse())).isEqualTo(101);
                ghost.sendText("{\"type\":\"announce\",\"data\":{\"peerId\":\"" + id + "\"},\"networkName\":\"n1\"}");
                long lastWord = System.nanoTime(); // its last frame: from now on it answers nothing
                near.awaitDiscovered(id);
                far.awaitDiscovered(id);
                for (TestClient watcher : List.of(near, far)) {
                    watcher.await("ghost unlisted", o -> isType(o, "peer-disconnected")
                            && o.getAsJsonObject("data").get("peerId").getAsString().equals(id), Duration.ofSeconds(20));
                }
                long tookMillis = (System.nanoTime() - lastWord) / 1_000_000;
                assertThat(tookMillis).as("unlisted on both hubs after (ms)").isLessThanOrEqualTo(15_000);
                Await.until("gone from the far hub's directory", Duration.ofSeconds(2),
                        () -> !MeshView.knowsRemote(b, "n1", id));
            }
            near.close();
            far.close();
        }
    }
}

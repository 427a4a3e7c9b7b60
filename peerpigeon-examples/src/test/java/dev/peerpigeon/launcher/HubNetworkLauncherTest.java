package dev.peerpigeon.launcher;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Ports;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HubNetworkLauncherTest {

    @Test
    void peersOnDifferentSecondaryHubsReachEachOther() {
        int start = Ports.freeRun(4);
        List<PeerPigeonServer> hubs = HubNetworkLauncher.launch(Map.of("HUB_COUNT", "4", "START_PORT", Integer.toString(start),
                "HOST", "127.0.0.1", "HUB_MESH_NAMESPACE", "local-mesh"));
        try {
            assertThat(hubs).extracting(PeerPigeonServer::getPort).containsExactly(start, start + 1, start + 2, start + 3);
            Await.until("star converged", Duration.ofSeconds(20),
                    () -> hubs.stream().allMatch(h -> MeshView.reachableHubCount(h) == 3));
            // The reference's own star leaves these two blind to each other (PROTOCOL.md 6.4).
            TestClient a = TestClient.connect(hubs.get(1).getPort()).announce("game");
            TestClient b = TestClient.connect(hubs.get(3).getPort()).announce("game");
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());
            a.offer(b.peerId(), "v=0 secondary to secondary");
            assertThat(b.awaitType("offer").get("fromPeerId").getAsString()).isEqualTo(a.peerId());
            a.close();
            b.close();
        } finally {
            hubs.forEach(PeerPigeonServer::stop);
        }
    }
}

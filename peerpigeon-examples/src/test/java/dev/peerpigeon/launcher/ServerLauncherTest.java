package dev.peerpigeon.launcher;

import dev.peerpigeon.PeerPigeonException;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.testkit.RawHttp;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerLauncherTest {

    @Test
    void launcherReadsTheEnvironment() throws Exception {
        try (PeerPigeonServer server = ServerLauncher.launch(Map.of("PORT", "0", "HOST", "127.0.0.1",
                "MAX_CONNECTIONS", "7", "HUB_MESH_NAMESPACE", "test-mesh"))) {
            String health = RawHttp.get(server.getPort(), "/health");
            assertThat(RawHttp.status(health)).isEqualTo(200);
            assertThat(server.getStats().maxConnections()).isEqualTo(7);
            assertThat(server.getHubMeshNamespace()).isEqualTo("test-mesh");
        }
        assertThatThrownBy(() -> ServerLauncher.launch(Map.of("PORT", "x")))
                .isInstanceOf(PeerPigeonException.ConfigException.class).hasMessageContaining("PORT");
    }
}

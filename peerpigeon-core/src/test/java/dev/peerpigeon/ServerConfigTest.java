package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.ConfigException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ServerConfig as a value: validation refuses (never clamps), toString redacts, toBuilder round-trips. */
class ServerConfigTest {
    private static final String SECRET = "mesh-secret-1234";

    @Test
    void aRedialCapBelowTheFirstDelayIsRefusedNotClamped() {
        assertThatThrownBy(() -> PeerPigeonServer.builder().reconnectInterval(5000).maxReconnectInterval(1000)
                .buildConfig()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("maxReconnectInterval (1000 ms) must not be below reconnectInterval (5000 ms)");
        assertThatThrownBy(() -> PeerPigeonServer.builder().reconnectInterval(Duration.ofMinutes(2)).build())
                .as("the default cap (60 s) is below 2 min").isInstanceOf(ConfigException.class);
        ServerConfig.Reconnect ok = PeerPigeonServer.builder().reconnectInterval(1000).maxReconnectInterval(1000)
                .buildConfig().hub().reconnect();
        assertThat(ok.initial()).isEqualTo(ok.max()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void otherCombinationsAndSingleValuesAreRefused() {
        assertThatThrownBy(() -> PeerPigeonServer.builder().hubMeshMinPeers(4).hubMeshMaxPeers(3).buildConfig())
                .hasMessageContaining("hubMeshMinPeers (4) must not exceed hubMeshMaxPeers (3)");
        assertThatThrownBy(() -> PeerPigeonServer.builder().peerTimeout(Duration.ZERO))
                .hasMessageContaining("peerTimeout must be > 0");
        assertThatThrownBy(() -> PeerPigeonServer.builder().pingInterval((Duration) null))
                .hasMessageContaining("pingInterval must not be null");
        assertThatThrownBy(() -> PeerPigeonServer.builder().handshakeTimeout(Duration.ofMillis(50)))
                .hasMessageContaining("handshakeTimeout must be 100-600000 ms");
    }

    @Test
    void durationAndMillisSettersAgree() {
        ServerConfig a = PeerPigeonServer.builder().peerTimeout(Duration.ofSeconds(9)).pingInterval(Duration.ofSeconds(3))
                .cleanupInterval(Duration.ofSeconds(4)).handshakeTimeout(Duration.ofSeconds(2))
                .reconnectInterval(Duration.ofMillis(100)).maxReconnectInterval(Duration.ofMillis(900)).buildConfig();
        ServerConfig b = PeerPigeonServer.builder().peerTimeout(9000).pingInterval(3000).cleanupInterval(4000)
                .handshakeTimeout(2000).reconnectInterval(100).maxReconnectInterval(900).buildConfig();
        assertThat(a.liveness()).isEqualTo(b.liveness());
        assertThat(a.hub().reconnect()).isEqualTo(b.hub().reconnect());
    }

    @Test
    void toStringRedactsTheSecretAndUriPasswords() {
        ServerConfig c = PeerPigeonServer.builder().isHub(true).hubSecret(SECRET)
                .bootstrapHubs(List.of(URI.create("ws://ops:hunter2pass@hub-a:3000/hub/" + SECRET + "?hubSecret=" + SECRET)))
                .buildConfig();
        String s = c.toString();
        assertThat(s).doesNotContain(SECRET).doesNotContain("hunter2pass").contains("hub-a").contains("secret=***");
        assertThat(c.hub().toString()).doesNotContain(SECRET).doesNotContain("hunter2pass");
        assertThat(PeerPigeonServer.builder().buildConfig().toString()).contains("secret=none");
    }

    @Test
    void toBuilderRoundTripsEveryGroupAndTheGeneratedHubId() {
        ServerConfig c = PeerPigeonServer.builder().port(4100).host("127.0.0.1").maxPortRetries(2).isHub(true)
                .hubMeshNamespace("round-trip").maxConnections(77).maxMessagesPerSecond(5, 9).peerTimeout(12_000)
                .hubSecret(SECRET).autoConnect(false).maxReconnectAttempts(3).buildConfig();
        ServerConfig d = c.toBuilder().buildConfig();
        assertThat(d.listen()).isEqualTo(c.listen());
        assertThat(d.limits()).isEqualTo(c.limits());
        assertThat(d.liveness()).isEqualTo(c.liveness());
        assertThat(d.hub()).isEqualTo(c.hub());
        assertThat(d.hub().id()).isEqualTo(c.hub().id()).matches("[0-9a-f]{40}");
        assertThat(c.toBuilder().port(4200).buildConfig().listen().port()).as("the original is unchanged")
                .isEqualTo(4200);
        assertThat(c.listen().port()).isEqualTo(4100);
    }

    @Test
    void theBootstrapListCannotBeChangedThroughTheConfig() {
        java.util.ArrayList<URI> list = new java.util.ArrayList<>(List.of(URI.create("ws://a:1")));
        ServerConfig c = PeerPigeonServer.builder().bootstrapHubs(list).buildConfig();
        list.add(URI.create("ws://b:2"));
        assertThat(c.hub().bootstrap()).containsExactly(URI.create("ws://a:1"));
        assertThatThrownBy(() -> c.hub().bootstrap().add(URI.create("ws://c:3")))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void portAndUriOfTheFacade() {
        PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build();
        assertThat(server.port()).isEqualTo(-1);
        assertThat(server.uri()).isNull();
        try (PeerPigeonServer s = server.start()) {
            assertThat(s.port()).isPositive().isEqualTo(s.getPort());
            assertThat(s.uri()).isEqualTo(URI.create("ws://127.0.0.1:" + s.port()));
        }
    }
}

package dev.peerpigeon;

import dev.peerpigeon.PeerPigeonException.BindException;
import dev.peerpigeon.PeerPigeonException.ConfigException;
import dev.peerpigeon.PeerPigeonException.StateException;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LifecycleAndConfigTest {

    @Test
    void portZeroBindsAnEphemeralPortAndStopIsIdempotent() {
        List<ServerEvent> events = new CopyOnWriteArrayList<>();
        PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build();
        server.addListener(new ServerListener() {
            @Override
            public void onEvent(ServerEvent event) {
                events.add(event);
            }
        });
        assertThat(server.getPort()).isEqualTo(-1);
        server.start();
        assertThat(server.getPort()).isPositive();
        assertThat(server.isRunning()).isTrue();
        TestClient c = TestClient.connect(server.getPort());
        // The client's open comes with the 101, the server's registration a moment later: the "connected" frame says
        // it is done (a stop between the two closes the socket as the transport's, 1001, as any unregistered one).
        c.awaitType("connected");
        server.stop();
        server.stop();
        server.close();
        c.awaitClosed();
        assertThat(c.closeCode()).isEqualTo(1000);
        assertThat(c.closeReason()).isEqualTo("Server shutting down");
        assertThat(events).filteredOn(e -> e instanceof ServerEvent.Started).hasSize(1);
        assertThat(events).filteredOn(e -> e instanceof ServerEvent.Stopped).hasSize(1);
        assertThatThrownBy(server::start).isInstanceOf(StateException.class).hasMessageContaining("single use");
    }

    @Test
    void takenPortFailsWithAClearBindExceptionOrFallsBackToTheNextPort() throws Exception {
        try (ServerSocket blocker = new ServerSocket()) {
            blocker.bind(new InetSocketAddress("127.0.0.1", 0));
            int taken = blocker.getLocalPort();
            PeerPigeonServer strict = PeerPigeonServer.builder().port(taken).host("127.0.0.1").maxPortRetries(0).build();
            assertThatThrownBy(strict::start).isInstanceOf(BindException.class)
                    .hasMessageContaining("Could not bind 127.0.0.1 on port " + taken);
            assertThat(strict.isRunning()).isFalse();

            try (PeerPigeonServer lenient = PeerPigeonServer.builder().port(taken).host("127.0.0.1").maxPortRetries(10)
                    .build().start()) {
                assertThat(lenient.getPort()).isGreaterThan(taken).isLessThanOrEqualTo(taken + 10);
                assertThat(TestClient.connect(lenient.getPort()).isOpen()).isTrue();
            }
        }
    }

    @Test
    void portIsReleasedAfterStop() {
        PeerPigeonServer first = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start();
        int port = first.getPort();
        first.stop();
        try (PeerPigeonServer second = PeerPigeonServer.builder().port(port).host("127.0.0.1").maxPortRetries(0).build().start()) {
            assertThat(second.getPort()).isEqualTo(port);
        }
    }

    @Test
    void hubMeshNamespaceDefaultsCanBeSetBeforeStartAndAreRefusedWhileRunning() {
        PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build();
        assertThat(server.getHubMeshNamespace()).isEqualTo("pigeonhub-mesh");
        server.setHubMeshNamespace("  staging-mesh ");
        assertThat(server.getHubMeshNamespace()).isEqualTo("staging-mesh");
        assertThatThrownBy(() -> server.setHubMeshNamespace("")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> server.setHubMeshNamespace("Prod Mesh")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("lowercase letters, digits and hyphens");
        server.start();
        try {
            assertThatThrownBy(() -> server.setHubMeshNamespace("other")).isInstanceOf(StateException.class);
            assertThat(server.getStats().hubMeshNamespace()).isEqualTo("staging-mesh");
        } finally {
            server.stop();
        }
    }

    @Test
    void builderRejectsBadValuesWithClearMessages() {
        assertThatThrownBy(() -> PeerPigeonServer.builder().port(70000)).hasMessageContaining("port must be 0-65535");
        assertThatThrownBy(() -> PeerPigeonServer.builder().maxConnections(0)).hasMessageContaining("maxConnections must be > 0");
        assertThatThrownBy(() -> PeerPigeonServer.builder().hubPeerId("abc")).hasMessageContaining("40 hex digits");
        assertThatThrownBy(() -> PeerPigeonServer.builder().bootstrapHubs(List.of(URI.create("ftp://x"))))
                .hasMessageContaining("bootstrap hub 'ftp://x' is invalid");
        assertThatThrownBy(() -> PeerPigeonServer.builder().hubMeshMinPeers(5).hubMeshMaxPeers(3).build())
                .hasMessageContaining("hubMeshMinPeers");
        assertThatThrownBy(() -> PeerPigeonServer.builder().corsOrigin("a\r\nX: y")).isInstanceOf(ConfigException.class);
    }

    @Test
    void handshakeTimeoutAndPerIpDefaults() {
        ServerConfig defaults = PeerPigeonServer.builder().buildConfig();
        assertThat(defaults.liveness().handshakeTimeout().toMillis()).isEqualTo(10_000);
        assertThat(defaults.limits().maxConnectionsPerIp()).as("one address cannot take every slot")
                .isLessThan(defaults.limits().maxConnections());
        assertThat(ServerConfig.fromEnvironment(Map.of("HANDSHAKE_TIMEOUT", "2500")).liveness().handshakeTimeout().toMillis()).isEqualTo(2500);
        assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of("HANDSHAKE_TIMEOUT", "5")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("HANDSHAKE_TIMEOUT")
                .hasMessageContaining("handshakeTimeout must be 100-600000 ms");
        assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of("HANDSHAKE_TIMEOUT", "soon")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("HANDSHAKE_TIMEOUT must be an integer");
    }

    @Test
    void hubsGetASecureRandomIdUnlessOneIsGiven() {
        ServerConfig hub = PeerPigeonServer.builder().isHub(true).buildConfig();
        assertThat(hub.hub().id()).matches("[0-9a-f]{40}");
        assertThat(PeerPigeonServer.builder().buildConfig().hub().id()).isNull();
        assertThat(PeerPigeonServer.builder().isHub(true).hubPeerId("A".repeat(40)).buildConfig().hub().id())
                .isEqualTo("A".repeat(40));
    }

    @Test
    void environmentUsesTheReferenceVariables() {
        ServerConfig cfg = ServerConfig.fromEnvironment(Map.of(
                "PORT", "4001", "HOST", "0.0.0.0", "MAX_CONNECTIONS", "50", "CORS_ORIGIN", "https://app.example",
                "HUB_MESH_NAMESPACE", "production-mesh", "IS_HUB", "true",
                "BOOTSTRAP", "ws://hub-a:3000, ws://hub-b:3000", "BOOTSTRAP_HUBS", "wss://hub-c",
                "HUB_ID", "ab".repeat(20), "AUTO_CONNECT", "false"));
        assertThat(cfg.listen().port()).isEqualTo(4001);
        assertThat(cfg.listen().host()).isEqualTo("0.0.0.0");
        assertThat(cfg.limits().maxConnections()).isEqualTo(50);
        assertThat(cfg.listen().corsOrigin()).isEqualTo("https://app.example");
        assertThat(cfg.hub().namespace()).isEqualTo("production-mesh");
        assertThat(cfg.hub().enabled()).isTrue();
        assertThat(cfg.hub().bootstrap()).containsExactly(URI.create("ws://hub-a:3000"), URI.create("ws://hub-b:3000"),
                URI.create("wss://hub-c"));
        assertThat(cfg.hub().id()).isEqualTo("ab".repeat(20));
        assertThat(cfg.hub().autoConnect()).isFalse();

        ServerConfig defaults = ServerConfig.fromEnvironment(Map.of("PORT", " "));
        assertThat(defaults.listen().port()).isEqualTo(3000);
        assertThat(defaults.listen().host()).isEqualTo("localhost");
        assertThat(defaults.hub().enabled()).isFalse();
    }

    @Test
    void badEnvironmentValuesNameTheVariable() {
        assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of("PORT", "abc")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PORT").hasMessageContaining("abc");
        assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of("MAX_CONNECTIONS", "-1")))
                .hasMessageContaining("MAX_CONNECTIONS");
        assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of("IS_HUB", "maybe")))
                .hasMessageContaining("IS_HUB");
        assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of("HUB_MESH_NAMESPACE", "Bad_NS")))
                .hasMessageContaining("HUB_MESH_NAMESPACE");
        assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of("BOOTSTRAP_HUBS", "not a uri")))
                .hasMessageContaining("BOOTSTRAP_HUBS");
        assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of("HUB_ID", "123")))
                .hasMessageContaining("HUB_ID");
    }

    @Test
    void getPeersAndStatsDescribeConnections() {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start()) {
            TestClient a = TestClient.connect(server.getPort()).announce("n1");
            TestClient b = TestClient.connect(server.getPort());
            a.sync();
            b.sync();
            ServerStats st = server.getStats();
            assertThat(st.connections()).isEqualTo(2);
            assertThat(st.peers()).isEqualTo(1);
            assertThat(st.networks()).isEqualTo(1);
            assertThat(st.port()).isEqualTo(server.getPort());
            assertThat(server.getPeers()).extracting(PeerInfo::peerId).containsExactlyInAnyOrder(a.peerId(), b.peerId());
            PeerInfo pa = server.getPeers().stream().filter(p -> p.peerId().equals(a.peerId())).findFirst().orElseThrow();
            assertThat(pa.announced()).isTrue();
            assertThat(pa.networkName()).isEqualTo("n1");
            assertThat(pa.remoteAddress()).contains("127.0.0.1");
            b.close();
            Await.until("b gone", () -> server.getStats().connections() == 1);
            a.close();
        }
    }
}

package dev.peerpigeon.hardening;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerConfig;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import dev.peerpigeon.testkit.TestLogs;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The protected-mode scenario, run by {@link ProtectedModeNetnsTest} in a child JVM inside a private network
 * namespace where 198.18.0.1 is a local, non-loopback address: connections to it come from it, so the server
 * sees a non-loopback peer without any traffic leaving the namespace. Exits 0 and prints {@value #OK} when every
 * assertion held; an assertion error ends it with a stack trace and a non-zero status.
 */
public final class ProtectedModeNetnsMain {
    static final String OK = "PROTECTED-MODE-NETNS-OK";
    static final String FAR = "198.18.0.1";
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String NS = "netns-mesh";

    private ProtectedModeNetnsMain() {
    }

    public static void main(String[] args) throws Exception {
        assertThat(InetAddress.getByName(FAR).isLoopbackAddress()).isFalse();
        protectedHub();
        openHub();
        plainServer();
        System.out.println(OK);
        System.exit(0); // the JVM would wait for nothing, but be explicit: the parent reads the status
    }

    private static PeerPigeonServer.Builder hub(String host) {
        return HubCluster.testHub(NS).host(host);
    }

    private static URI far(int port, String peerId) {
        return URI.create("ws://" + FAR + ":" + port + "/?peerId=" + peerId);
    }

    private static TestClient farClient(int port) {
        String id = PeerId.generate();
        return TestClient.connect(far(port, id), id);
    }

    private static void refusedOnAnnounce(TestClient c, String network, String dataJson) {
        c.send("{\"type\":\"announce\",\"networkName\":\"" + network + "\",\"data\":" + dataJson + "}");
        c.awaitClosed();
        assertThat(c.closeCode()).isEqualTo(1008);
        assertThat(c.closeReason()).isEqualTo("Hub authentication required");
        assertThat(c.ofType("error")).anySatisfy(e ->
                assertThat(e.get("error").getAsString()).isEqualTo("Hub authentication required"));
    }

    private static long refusalLogLines() {
        return TestLogs.lines().stream().filter(l -> l.contains("Refused") && l.contains("from " + FAR)
                && l.contains("HUB_SECRET") && l.contains("ALLOW_UNAUTHENTICATED_HUBS=true")).count();
    }

    /** No secret, not opened: a hub from 198.18.0.1 is refused, ordinary peers from there and loopback hubs are not. */
    private static void protectedHub() throws Exception {
        try (PeerPigeonServer hub = hub("0.0.0.0").build().start()) {
            int port = hub.getPort();
            TestLogs.awaitLine(WAIT, "Hub mesh access: protected mode", "loopback only");
            TestClient a = TestClient.connect(port).announce("n1");   // bystander on loopback
            TestClient b = farClient(port).announce("n1");           // bystander from the non-loopback address
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());

            // A dialer that says it is a Java hub: 403 before the upgrade.
            String refused = rawUpgradeFromFar(port, "/?peerId=" + PeerId.generate(),
                    "X-PeerPigeon-Hub: " + PeerId.generate() + " " + NS + " pp-route-v1");
            assertThat(refused).startsWith("HTTP/1.1 403").contains("Hub authentication required");
            // A real Java hub dialing that address: never linked, and its log says what to do.
            try (PeerPigeonServer intruder = hub("127.0.0.1").bootstrapHubs(List.of(URI.create("ws://" + FAR + ":" + port)))
                    .build().start()) {
                Await.until("intruder redialed after refusals", WAIT,
                        () -> MeshView.attempts(intruder) >= 3);
                assertThat(MeshView.reachableHubCount(intruder)).isZero();
                TestLogs.awaitLine(WAIT, "refused the link (HTTP 403, hub authentication required)", FAR);
            }
            assertThat(MeshView.links(hub)).isEmpty();
            // A client that does not say so: closed 1008 on its hub announce (namespace, or data.isHub anywhere).
            refusedOnAnnounce(farClient(port), NS, "{\"isHub\":true}");
            refusedOnAnnounce(farClient(port), NS, "{}");
            refusedOnAnnounce(farClient(port), "n2", "{\"isHub\":true}");
            assertThat(hub.getHubStats().hubs()).isEmpty();
            // Several refusals from one address: one log line (per minute), naming both fixes.
            assertThat(refusalLogLines()).isEqualTo(1);

            // A hub on loopback links as before (the seed scenario), and federation works through it.
            try (PeerPigeonServer neighbour = hub("127.0.0.1").bootstrapHubs(List.of(URI.create("ws://127.0.0.1:" + port)))
                    .build().start()) {
                Await.until("loopback hub linked", WAIT, () -> MeshView.reachableHubCount(hub) == 1
                        && MeshView.reachableHubCount(neighbour) == 1);
                TestClient c = TestClient.connect(neighbour.getPort()).announce("n1");
                a.awaitDiscovered(c.peerId());
                c.awaitDiscovered(b.peerId()); // the neighbour knows b too, so it can route c's offer
                Bystanders.relay(c, b, WAIT);
                c.close();
            }
            Bystanders.relay(a, b, WAIT);
            Bystanders.relay(b, a, WAIT);
            a.close();
            b.close();
        }
    }

    /** ALLOW_UNAUTHENTICATED_HUBS: the same non-loopback hub is accepted, and the start says so at WARN. */
    private static void openHub() {
        try (PeerPigeonServer hub = PeerPigeonServer.create(ServerConfig.fromEnvironment(java.util.Map.of(
                "ALLOW_UNAUTHENTICATED_HUBS", "true")).toBuilder().port(0).host("0.0.0.0").isHub(true)
                .hubPeerId(PeerId.generate()).hubMeshNamespace(NS).defaultBootstrapPort(0).buildConfig()).start()) {
            assertThat(hub.config().hub().allowUnauthenticatedHubs()).isTrue();
            TestLogs.awaitLine(WAIT, "WARN", "Hub mesh access: OPEN", "ALLOW_UNAUTHENTICATED_HUBS=true");
            int port = hub.getPort();
            TestClient a = TestClient.connect(port).announce("n1");
            TestClient b = farClient(port).announce("n1");
            a.awaitDiscovered(b.peerId());
            try (PeerPigeonServer remote = hub("127.0.0.1").bootstrapHubs(List.of(URI.create("ws://" + FAR + ":" + port)))
                    .build().start()) {
                Await.until("non-loopback hub linked", WAIT, () -> MeshView.reachableHubCount(hub) == 1
                        && MeshView.reachableHubCount(remote) == 1);
                TestClient c = TestClient.connect(remote.getPort()).announce("n1");
                b.awaitDiscovered(c.peerId());
                Bystanders.relay(b, c, WAIT);
                c.close();
            }
            Bystanders.relay(a, b, WAIT);
            Bystanders.relay(b, a, WAIT);
            a.close();
            b.close();
        }
    }

    /** A plain server: data.isHub from loopback is a hub peer (listed in /hubs); from elsewhere it is closed 1008. */
    private static void plainServer() {
        try (PeerPigeonServer plain = PeerPigeonServer.builder().port(0).host("0.0.0.0").build().start()) {
            int port = plain.getPort();
            TestClient a = TestClient.connect(port).announce("n1");
            TestClient b = farClient(port).announce("n1");
            a.awaitDiscovered(b.peerId());
            refusedOnAnnounce(farClient(port), "production-mesh", "{\"isHub\":true}");
            refusedOnAnnounce(farClient(port), ServerConfig.DEFAULT_NAMESPACE, "{}");
            TestClient localHub = TestClient.connect(port);
            localHub.send("{\"type\":\"announce\",\"networkName\":\"production-mesh\",\"data\":{\"isHub\":true}}");
            Await.until("loopback hub peer listed", WAIT,
                    () -> plain.getHubStats().hubs().stream().anyMatch(h -> h.peerId().equals(localHub.peerId())));
            assertThat(plain.getHubStats().hubs()).hasSize(1);
            Bystanders.relay(a, b, WAIT);
            Bystanders.relay(b, a, WAIT);
            localHub.close();
            a.close();
            b.close();
        }
    }

    /** An upgrade request from {@value #FAR} to {@value #FAR}; returns the whole answer (the server closes after a refusal). */
    private static String rawUpgradeFromFar(int port, String target, String... extraHeaders) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(FAR, 0));
            s.connect(new InetSocketAddress(FAR, port), 10_000);
            return RawHttp.exchange(s, RawHttp.upgradeRequest(target, FAR, extraHeaders));
        }
    }
}

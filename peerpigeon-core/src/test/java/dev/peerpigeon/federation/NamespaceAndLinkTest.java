package dev.peerpigeon.federation;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerEvent;
import dev.peerpigeon.ServerListener;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import dev.peerpigeon.testkit.TestLogs;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/** The seed document's hub examples, namespace isolation, link plumbing and recovery. */
class NamespaceAndLinkTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    private static PeerPigeonServer hub(String ns, int defaultPort, List<URI> bootstrap) {
        return HubCluster.testHub(ns).defaultBootstrapPort(defaultPort).bootstrapHubs(bootstrap).build();
    }

    @Test
    void hubsWithoutBootstrapFormOneFederationAndAnotherNamespaceStaysApart() {
        // The seed's "3000, 3001, 3002 with the same namespace and no bootstrap": the first hub plays :3000,
        // the others dial it through the default bootstrap port (set to the first hub's port here).
        PeerPigeonServer first = hub("production-mesh", 0, List.of()).start();
        int seedPort = first.getPort();
        PeerPigeonServer second = hub("production-mesh", seedPort, List.of()).start();
        PeerPigeonServer third = hub("production-mesh", seedPort, List.of()).start();
        List<ServerEvent> stagingEvents = new CopyOnWriteArrayList<>();
        PeerPigeonServer staging = hub("staging-mesh", seedPort, List.of());
        staging.addListener(new ServerListener() {
            @Override
            public void onEvent(ServerEvent event) {
                stagingEvents.add(event);
            }
        });
        staging.start();
        List<TestClient> clients = new ArrayList<>();
        try {
            Await.until("three hubs federated", WAIT, () -> MeshView.reachableHubCount(first) == 2
                    && MeshView.reachableHubCount(second) == 2 && MeshView.reachableHubCount(third) == 2);
            TestClient a = TestClient.connect(second.getPort()).announce("app");
            TestClient b = TestClient.connect(third.getPort()).announce("app");
            TestClient s = TestClient.connect(staging.getPort()).announce("app");
            clients.addAll(List.of(a, b, s));
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());
            a.offer(b.peerId(), "v=0 inside production-mesh");
            b.awaitType("offer");

            // Both sides log the refusal, naming both namespaces (the dialed hub refuses before the upgrade).
            TestLogs.awaitLine(WAIT, "refused the link (HTTP 409)", "'production-mesh'", "'staging-mesh'");
            TestLogs.awaitLine(WAIT, "Refused hub link from", "'staging-mesh'", "'production-mesh'", "HTTP 409");
            assertThat(MeshView.reachableHubCount(staging)).isZero();
            assertThat(MeshView.reachableHubCount(first)).isEqualTo(2);
            assertThat(stagingEvents).noneMatch(e -> e instanceof ServerEvent.BootstrapConnected);
            a.sync();
            s.sync();
            assertThat(s.ofType("peer-discovered")).isEmpty();
            assertThat(a.rawReceived()).noneMatch(f -> f.contains(s.peerId()));
            s.offer(a.peerId(), "v=0 across namespaces");
            s.await("error", o -> isType(o, "error"));
            a.sync();
            assertThat(a.ofType("offer")).isEmpty();
        } finally {
            clients.forEach(TestClient::close);
            staging.stop();
            third.stop();
            second.stop();
            first.stop();
        }
    }

    @Test
    void aHubAnnouncingAnotherNamespaceIsRefusedOnTheDialedSideToo() throws Exception {
        try (PeerPigeonServer prod = hub("production-mesh", 0, List.of()).start()) {
            TestClient fake = TestClient.connect(prod.getPort());
            fake.send("{\"type\":\"announce\",\"networkName\":\"staging-mesh\",\"data\":{\"isHub\":true,\"port\":1,\"host\":\"h\"}}");
            fake.awaitClosed();
            assertThat(fake.closeCode()).isEqualTo(1008);
            assertThat(fake.closeReason()).isEqualTo("Hub namespace mismatch");
            assertThat(fake.awaitType("error").get("error").getAsString())
                    .contains("'production-mesh'").contains("'staging-mesh'");
            TestLogs.awaitLine(WAIT, "Refused hub link from", "'staging-mesh'", "'production-mesh'");
            assertThat(prod.getHubStats().hubs()).isEmpty();
        }
    }

    @Test
    void aHubOfAnotherNamespaceIsRefusedWith409BeforeTheUpgradeAndBothSidesSaySo() throws Exception {
        try (PeerPigeonServer prod = hub("production-mesh", 0, List.of()).start();
             Bystanders bystanders = Bystanders.join(prod.getPort(), "app")) {
            long mark = TestLogs.mark();
            // What a Java hub of another namespace sends: refused before the upgrade, with the namespace to read back.
            String answer = RawHttp.upgrade(prod.getPort(), "/?peerId=" + PeerId.generate(),
                    "X-PeerPigeon-Hub: " + PeerId.generate() + " staging-mesh smart");
            assertThat(RawHttp.status(answer)).isEqualTo(409);
            assertThat(answer).contains("409 Hub Namespace Mismatch: this hub is in 'production-mesh'");
            assertThat(prod.getHubStats().namespaceRefusals()).isEqualTo(1);

            // Backoff 100, 200, 400 ms then its maximum 400: the dialer logs once per step; the dialed hub logged the
            // probe above and stays quiet for the same address (127.0.0.1) for a minute.
            try (PeerPigeonServer staging = HubCluster.testHub("staging-mesh")
                    .bootstrapHubs(List.of(URI.create("ws://127.0.0.1:" + prod.getPort()))).reconnectInterval(100).maxReconnectInterval(400).build().start()) {
                Await.until("six refused dials", WAIT, () -> prod.getHubStats().namespaceRefusals() >= 7);
                assertThat(prod.getMetrics().refusals().get("namespace")).isGreaterThanOrEqualTo(7L); // refusals_total{reason="namespace"}
                List<String> lines = TestLogs.linesSince(mark);
                assertThat(lines.stream().filter(l -> l.contains("refused the link (HTTP 409)")
                        && l.contains("'production-mesh'") && l.contains("'staging-mesh'")).count()).isEqualTo(3);
                assertThat(lines.stream().filter(l -> l.contains("Refused hub link from")
                        && l.contains("'staging-mesh'") && l.contains("'production-mesh'")).count()).isEqualTo(1);
                assertThat(lines).anyMatch(l -> l.contains("backoff at its maximum"));
                assertThat(prod.getHubStats().hubs()).isEmpty();
                assertThat(MeshView.reachableHubCount(staging)).isZero();
                bystanders.relayBothWays();
            }
        }
    }

    @Test
    void killingAndRestartingTheMiddleHubOfAChainRestoresService() {
        try (HubCluster cluster = HubCluster.of("test-mesh").start(3, HubCluster.chain(3))) {
            cluster.awaitConverged(WAIT);
            TestClient left = cluster.client(0, "n1");
            TestClient right = cluster.client(2, "n1");
            left.awaitDiscovered(right.peerId());
            cluster.kill(1);
            left.await("peer-disconnected of the far side", o -> isType(o, "peer-disconnected")
                    && o.getAsJsonObject("data").get("peerId").getAsString().equals(right.peerId()), WAIT);
            cluster.restart(1);
            cluster.awaitConverged(WAIT);
            Await.until("left learns right again", WAIT, () -> left.ofType("peer-discovered").stream()
                    .filter(o -> o.getAsJsonObject("data").get("peerId").getAsString().equals(right.peerId())).count() == 2);
            left.offer(right.peerId(), "v=0 after the restart");
            right.awaitType("offer");
            right.signal("answer", "{\"type\":\"answer\",\"sdp\":\"v=0 back again\"}", left.peerId());
            left.awaitType("answer");
        }
    }

    @Test
    void linkDropIsHealedByRedialing() {
        try (HubCluster cluster = HubCluster.of("test-mesh").viaProxies().start(2, HubCluster.chain(2))) {
            cluster.awaitConverged(WAIT);
            TestClient a = cluster.client(0, "n1");
            TestClient b = cluster.client(1, "n1");
            a.awaitDiscovered(b.peerId());
            cluster.link(0, 1).cut();
            // The drop makes hub 0 forget b (its hub became unreachable); the redial brings it back.
            a.await("b gone", o -> isType(o, "peer-disconnected"), WAIT);
            Await.until("b rediscovered after the redial", WAIT, () -> a.ofType("peer-discovered").size() == 2);
            assertThat(MeshView.attempts(cluster.hub(1))).isGreaterThanOrEqualTo(2);
            a.offer(b.peerId(), "v=0 after a dropped link");
            b.awaitType("offer");
        }
    }

    @Test
    void hubSecretIsRequiredAndWorksInThePathForReferenceHubs() throws Exception {
        String secret = "s3cret-mesh-key";
        try (PeerPigeonServer guarded = HubCluster.testHub("test-mesh").hubSecret(secret).build().start()) {
            // Wrong secret: refused before the upgrade.
            String wrong = RawHttp.upgrade(guarded.getPort(), "/hub/nope?peerId=" + PeerId.generate());
            assertThat(RawHttp.status(wrong)).isEqualTo(403);
            // No secret at all: the hub announce is refused.
            TestClient anon = TestClient.connect(guarded.getPort());
            anon.send("{\"type\":\"announce\",\"networkName\":\"test-mesh\",\"data\":{\"isHub\":true}}");
            anon.awaitClosed();
            assertThat(anon.closeReason()).isEqualTo("Hub authentication required");
            // The secret in the path (what a reference hub can be given) is accepted.
            TestClient viaPath = TestClient.connect(URI.create("ws://127.0.0.1:" + guarded.getPort() + "/hub/" + secret
                    + "?peerId=" + "cd".repeat(20)), "cd".repeat(20));
            viaPath.send("{\"type\":\"announce\",\"networkName\":\"test-mesh\",\"data\":{\"isHub\":true}}");
            Await.until("hub registered", () -> guarded.getHubStats().hubs().stream().anyMatch(h -> h.peerId().equals("cd".repeat(20))));
            viaPath.close();
            // A Java hub with the same secret links; one without it does not.
            try (PeerPigeonServer friend = HubCluster.testHub("test-mesh").hubSecret(secret)
                    .bootstrapHubs(List.of(URI.create("ws://127.0.0.1:" + guarded.getPort()))).build().start()) {
                Await.until("friend linked", () -> MeshView.reachableHubCount(friend) == 1);
            }
            // Ordinary peers need no secret.
            TestClient peer = TestClient.connect(guarded.getPort()).announce("n1");
            peer.sync();
            peer.close();
        }
    }

    @Test
    void dialUriKeepsAnExistingQueryAndSelfDialsAreSkipped() {
        try (PeerPigeonServer h = hub("test-mesh", 0, List.of()).start()) {
            HubMesh mesh = MeshView.mesh(h);
            URI u = mesh.dialUri(URI.create("http://hub.example:4000/signal/path?foo=bar&peerId=old"));
            assertThat(u.toString()).isEqualTo("ws://hub.example:4000/signal/path?foo=bar&peerId=" + mesh.hubId());
            assertThat(mesh.dialUri(URI.create("wss://hub.example")).toString())
                    .isEqualTo("wss://hub.example/?peerId=" + mesh.hubId());
            assertThat(mesh.isSelf(URI.create("ws://localhost:" + h.getPort()))).isTrue();
            assertThat(mesh.isSelf(URI.create("ws://127.0.0.1:" + h.getPort()))).isTrue();
            assertThat(mesh.isSelf(URI.create("ws://127.0.0.1:" + (h.getPort() + 1)))).isFalse();
        }
        // A hub listing itself as bootstrap does not link to itself.
        PeerPigeonServer self = hub("test-mesh", 0, List.of()).start();
        try (PeerPigeonServer again = HubCluster.testHub("test-mesh")
                .hubPeerId(self.config().hub().id()).bootstrapHubs(List.of(URI.create("ws://127.0.0.1:" + self.getPort())))
                .build().start()) {
            // Same hub id on another port (a misconfiguration): the dialed side refuses with 508 and the dialer
            // marks the bootstrap as itself and stops (one attempt, never redialed, no link on either side).
            TestLogs.awaitLine(WAIT, "Bootstrap hub ws://127.0.0.1:" + self.getPort(), "refused us as its own connection");
            assertThat(again.getHubStats().bootstrapHubs()).singleElement().satisfies(b -> {
                assertThat(b.attemptNumber()).isEqualTo(1);
                assertThat(b.connected()).isFalse();
            });
            assertThat(again.getHubStats().hubs()).isEmpty();
            assertThat(self.getHubStats().hubs()).isEmpty();
        } finally {
            self.stop();
        }
    }
}

package dev.peerpigeon.hardening;

import com.google.gson.JsonObject;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.TcpProxy;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults on the link between two hubs (through a TCP proxy): a stall, a partition with departures on
 * the far side, and a hub killed mid-traffic. Once links are back: no duplicate and no lost deliverable
 * signal, and no ghost peers.
 */
class HubFaultTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    private static List<String> sdpsOf(TestClient c) {
        List<String> out = new ArrayList<>();
        for (JsonObject o : c.ofType("offer")) {
            out.add(o.getAsJsonObject("data").get("sdp").getAsString());
        }
        return out;
    }

    private static void offers(TestClient from, TestClient to, String phase, int n, List<String> sent) {
        for (int i = 0; i < n; i++) {
            String sdp = "v=0 " + phase + " " + i;
            from.offer(to.peerId(), sdp);
            sent.add(sdp);
        }
    }

    /** Two hubs, hub 1 dialing hub 0 through a proxy ({@code cluster.link(0, 1)}). */
    private static HubCluster proxiedPair() {
        return HubCluster.of("fault-mesh", b -> b.maxReconnectInterval(400).cleanupInterval(1000)
                .maxMessagesPerSecond(0, 0)).viaProxies().start(2, HubCluster.chain(2));
    }

    @Test
    void aStalledLinkDeliversEverythingOnceInOrderAfterItResumes() throws Exception {
        try (HubCluster cluster = proxiedPair()) {
            PeerPigeonServer h0 = cluster.hub(0);
            PeerPigeonServer h1 = cluster.hub(1);
            TcpProxy proxy = cluster.link(0, 1);
            Await.until("linked", WAIT, () -> MeshView.reachableHubCount(h0) == 1 && MeshView.reachableHubCount(h1) == 1);
            TestClient a = TestClient.connect(h0.getPort()).announce("n1");
            TestClient b = TestClient.connect(h1.getPort()).announce("n1");
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());
            List<String> sent = new ArrayList<>();
            offers(a, b, "before the stall", 100, sent);
            Await.until("offers before the stall delivered", WAIT, () -> b.ofType("offer").size() == 100);
            proxy.stall();
            long heldBefore = proxy.heldBytes();
            List<String> stalledBatch = new ArrayList<>();
            offers(a, b, "during the stall", 100, stalledBatch);
            sent.addAll(stalledBatch);
            // The proxy has read the stalled offers (each frame carries its sdp) and forwarded none of them.
            long atLeast = stalledBatch.stream().mapToLong(String::length).sum();
            Await.until("stalled offers held by the proxy", WAIT, () -> proxy.heldBytes() - heldBefore >= atLeast,
                    () -> "held " + proxy.heldBytes() + " bytes, b has " + b.ofType("offer").size() + " offers");
            assertThat(b.ofType("offer")).as("nothing crosses a stalled link").hasSize(100);
            proxy.resume();
            offers(a, b, "after the stall", 100, sent);
            Await.until("all offers delivered", WAIT, () -> b.ofType("offer").size() >= sent.size());
            b.sync();
            assertThat(sdpsOf(b)).containsExactlyElementsOf(sent);
            a.close();
            b.close();
        }
    }

    @Test
    void aPartitionDropsFarPeersAndHealsWithoutGhostsOrDuplicates() throws Exception {
        try (HubCluster cluster = proxiedPair()) {
            PeerPigeonServer h0 = cluster.hub(0);
            PeerPigeonServer h1 = cluster.hub(1);
            TcpProxy proxy = cluster.link(0, 1);
            Await.until("linked", WAIT, () -> MeshView.reachableHubCount(h0) == 1);
            TestClient a = TestClient.connect(h0.getPort()).announce("n1");
            TestClient b = TestClient.connect(h1.getPort()).announce("n1");
            TestClient leaver = TestClient.connect(h1.getPort()).announce("n1");
            a.awaitDiscovered(b.peerId());
            a.awaitDiscovered(leaver.peerId());

            proxy.partition(true);
            Await.until("far peers dropped on h0", WAIT, () -> !MeshView.knowsRemote(h0, "n1", b.peerId())
                    && !MeshView.knowsRemote(h0, "n1", leaver.peerId()));
            a.offer(b.peerId(), "v=0 during the partition");
            a.await("error while partitioned", o -> isType(o, "error"), WAIT);
            leaver.close(); // departs while the hubs cannot talk
            Await.until("leaver gone on h1", WAIT, () -> h1.getStats().connections() == 1);

            proxy.partition(false);
            Await.until("b rediscovered", WAIT, () -> a.ofType("peer-discovered").stream()
                    .filter(o -> o.getAsJsonObject("data").get("peerId").getAsString().equals(b.peerId())).count() == 2);
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String sdp = "v=0 healed " + i;
                a.offer(b.peerId(), sdp);
                sent.add(sdp);
            }
            Await.until("offers after healing", WAIT, () -> b.ofType("offer").size() >= sent.size());
            b.sync();
            a.sync();
            assertThat(sdpsOf(b)).containsExactlyElementsOf(sent);
            // The peer that left during the partition never comes back as a ghost.
            assertThat(a.ofType("peer-discovered").stream()
                    .filter(o -> o.getAsJsonObject("data").get("peerId").getAsString().equals(leaver.peerId())).count())
                    .isEqualTo(1);
            assertThat(MeshView.knowsRemote(h0, "n1", leaver.peerId())).isFalse();
            a.close();
            b.close();
        }
    }

    @Test
    void aHubKilledMidTrafficLosesNoSignalBetweenTheSurvivors() {
        // A triangle: hub 1 dials 0, hub 2 dials 0 and 1.
        try (HubCluster cluster = HubCluster.of("fault-mesh", b -> b.maxReconnectInterval(400).cleanupInterval(1000)
                .maxMessagesPerSecond(0, 0)).start(3, HubCluster.ring(3))) {
            PeerPigeonServer h0 = cluster.hub(0);
            PeerPigeonServer h1 = cluster.hub(1);
            PeerPigeonServer h2 = cluster.hub(2);
            Await.until("triangle", WAIT, () -> MeshView.reachableHubCount(h0) == 2 && MeshView.reachableHubCount(h1) == 2
                    && MeshView.reachableHubCount(h2) == 2);
            TestClient a = TestClient.connect(h0.getPort()).announce("n1");
            TestClient c = TestClient.connect(h2.getPort()).announce("n1");
            TestClient victim = TestClient.connect(h1.getPort()).announce("n1");
            a.awaitDiscovered(c.peerId());
            a.awaitDiscovered(victim.peerId());
            Set<String> sent = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                if (i == 100) {
                    cluster.kill(1);
                }
                String sdp = "v=0 during kill " + i;
                a.offer(c.peerId(), sdp);
                sent.add(sdp);
            }
            Await.until("all delivered", WAIT, () -> c.ofType("offer").size() >= sent.size());
            c.sync();
            List<String> got = sdpsOf(c);
            assertThat(got).hasSize(sent.size());
            assertThat(new HashSet<>(got)).isEqualTo(sent);
            a.await("victim gone", o -> isType(o, "peer-disconnected")
                    && o.getAsJsonObject("data").get("peerId").getAsString().equals(victim.peerId()), WAIT);
            a.close();
            c.close();
        }
    }
}

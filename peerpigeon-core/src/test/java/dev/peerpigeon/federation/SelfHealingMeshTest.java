package dev.peerpigeon.federation;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hub mesh keeps itself connected: hubs learn each other's addresses from the mesh and keep between
 * hubMeshMinPeers (2) and hubMeshMaxPeers (3) direct links (the defaults; the test kit switches the maintenance off
 * for the other tests, these switch it back on).
 */
class SelfHealingMeshTest {
    private static final Duration HEAL = Duration.ofSeconds(15);

    private static HubCluster cluster(String ns) {
        return HubCluster.of(ns, b -> b.hubMeshMinPeers(2).hubMeshMaxPeers(3));
    }

    private static int links(PeerPigeonServer hub) {
        return MeshView.links(hub).size();
    }

    private static boolean degreesHeld(HubCluster c, int min, int max) {
        for (int i = 0; i < c.size(); i++) {
            PeerPigeonServer h = c.hub(i);
            if (h.isRunning() && (links(h) < min || links(h) > max)) {
                return false;
            }
        }
        return true;
    }

    private static long goneNotices(TestClient watcher, List<String> ids) {
        return watcher.ofType("peer-disconnected").stream()
                .filter(o -> ids.contains(o.getAsJsonObject("data").get("peerId").getAsString())).count();
    }

    @Test
    void theReferenceStarSurvivesTheDeathOfItsCentre() {
        // The reference's start-hub-network: hubs 1..3 bootstrap to hub 0 only.
        try (HubCluster c = cluster("heal-star").start(4, HubCluster.star(4))) {
            c.awaitConverged(Duration.ofSeconds(10));
            Await.until("the secondaries linked to each other", HEAL, () -> links(c.hub(1)) >= 2
                    && links(c.hub(2)) >= 2 && links(c.hub(3)) >= 2, c::describe);
            TestClient p1 = c.client(1, "n1");
            TestClient p2 = c.client(2, "n1");
            TestClient p3 = c.client(3, "n1");
            List<String> survivors = List.of(p1.peerId(), p2.peerId(), p3.peerId());
            for (TestClient p : List.of(p1, p2, p3)) {
                for (String other : survivors) {
                    if (!other.equals(p.peerId())) {
                        p.awaitDiscovered(other);
                    }
                }
            }
            long killed = System.nanoTime();
            c.kill(0);
            TestClient late = c.client(2, "n1");
            late.awaitDiscovered(p1.peerId());
            late.awaitDiscovered(p3.peerId());
            late.offer(p3.peerId(), "v=0 across the healed mesh");
            p3.await("offer from the late joiner", o -> isType(o, "offer")
                    && o.get("fromPeerId").getAsString().equals(late.peerId()), HEAL);
            long tookMillis = (System.nanoTime() - killed) / 1_000_000;
            assertThat(tookMillis).as("discovery and an offer after the kill (ms)").isLessThanOrEqualTo(15_000);
            c.awaitConverged(HEAL);
            for (TestClient p : List.of(p1, p2, p3, late)) {
                p.sync();
                assertThat(goneNotices(p, survivors)).as("peer-disconnected for a survivor's peer").isZero();
            }
        }
    }

    @Test
    void sixHubsKeepBetweenTwoAndThreeLinksThroughJoinsAndKills() {
        try (HubCluster c = cluster("heal-six").start(6, HubCluster.chain(6))) {
            Await.until("2..3 links each after the joins", HEAL, () -> degreesHeld(c, 2, 3), c::describe);
            c.awaitConverged(HEAL);
            c.kill(2);
            c.kill(4);
            Await.until("2..3 links each after two kills", HEAL, () -> degreesHeld(c, 2, 3), c::describe);
            c.awaitConverged(HEAL);
            c.restart(2);
            Await.until("2..3 links each after a rejoin", HEAL, () -> degreesHeld(c, 2, 3), c::describe);
            c.awaitConverged(HEAL);
        }
    }

    @Test
    void aRandomSixHubMeshHoldsItsLinkCountsThroughJoinsAndKills() {
        int[][] edges = HubCluster.random(6, 3, 42);
        try (HubCluster c = cluster("heal-random").start(6, edges)) {
            Await.until("link counts after the joins", HEAL, () -> countsHeld(c, edges), () -> detail(c, edges));
            c.awaitConverged(HEAL);
            c.kill(1);
            c.kill(3);
            Await.until("link counts after two kills", HEAL, () -> countsHeld(c, edges), () -> detail(c, edges));
            c.awaitConverged(HEAL);
            c.restart(1);
            Await.until("link counts after a rejoin", HEAL, () -> countsHeld(c, edges), () -> detail(c, edges));
            c.awaitConverged(HEAL);
        }
    }

    private static String detail(HubCluster c, int[][] edges) {
        StringBuilder sb = new StringBuilder("edges " + java.util.Arrays.deepToString(edges));
        java.util.Map<String, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < c.size(); i++) {
            index.put(MeshView.mesh(c.hub(i)).hubId(), i);
        }
        for (int i = 0; i < c.size(); i++) {
            sb.append("\n hub ").append(i).append(c.hub(i).isRunning() ? "" : " (dead)").append(':');
            for (HubMesh.LinkInfo l : MeshView.mesh(c.hub(i)).linkInfos()) {
                sb.append(' ').append(l.direction()).append(index.get(l.hubId()));
            }
        }
        return sb.toString();
    }

    /**
     * Every running hub has at most 3 links, or its bootstrap links to running hubs when those are more (a bootstrap
     * link is never dropped: the maximum bounds what the maintenance adds), and at least min(2, others) unless every
     * hub it could add is at its maximum (which then refuses: the maximum wins; the hub is still connected).
     */
    private static boolean countsHeld(HubCluster c, int[][] edges) {
        int running = 0;
        for (int i = 0; i < c.size(); i++) {
            running += c.hub(i).isRunning() ? 1 : 0;
        }
        for (int i = 0; i < c.size(); i++) {
            if (!c.hub(i).isRunning()) {
                continue;
            }
            int bootstrap = 0;
            for (int[] e : edges) {
                int other = e[0] == i ? e[1] : e[1] == i ? e[0] : -1;
                bootstrap += other >= 0 && c.hub(other).isRunning() ? 1 : 0;
            }
            int n = links(c.hub(i));
            if (n > Math.max(3, bootstrap) || (n < Math.min(2, running - 1) && roomElsewhere(c, i))) {
                return false;
            }
        }
        return true;
    }

    /** True when a running hub not linked to hub i has fewer than 3 links (it would accept a learned link from i). */
    private static boolean roomElsewhere(HubCluster c, int i) {
        java.util.Set<String> linked = new java.util.HashSet<>();
        for (HubMesh.LinkInfo l : MeshView.mesh(c.hub(i)).linkInfos()) {
            linked.add(l.hubId());
        }
        for (int j = 0; j < c.size(); j++) {
            if (j != i && c.hub(j).isRunning() && !linked.contains(MeshView.mesh(c.hub(j)).hubId())
                    && links(c.hub(j)) < 3) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aLearnedLinkIsDroppedWhenABootstrapLinkPutsItsHubOverTheMaximum() {
        // min 2, max 2: b and c bootstrap to a, so they link to each other (learned) to reach 2 each.
        try (HubCluster c = HubCluster.of("heal-drop", x -> x.hubMeshMinPeers(2).hubMeshMaxPeers(2))
                .start(3, new int[][]{{0, 1}, {0, 2}})) {
            Await.until("b and c linked to each other", HEAL, () -> degreesHeld(c, 2, 2), c::describe);
            // d bootstraps to b: b has 3 links, one learned (to c), and c is reachable through a: that one goes, and
            // c, down to one link, links to d instead.
            try (PeerPigeonServer d = HubCluster.testHub("heal-drop").hubMeshMinPeers(2).hubMeshMaxPeers(2)
                    .bootstrapHubs(List.of(java.net.URI.create("ws://127.0.0.1:" + c.hub(1).getPort()))).build().start()) {
                Await.until("every hub back at 2 links", HEAL, () -> degreesHeld(c, 2, 2) && links(d) == 2,
                        () -> c.describe() + "\n d: " + MeshView.describe(d));
                assertThat(MeshView.pathLength(c.hub(1), hubId(c.hub(2)))).as("b no longer linked to c").isEqualTo(2);
                assertThat(MeshView.pathLength(c.hub(2), hubId(d))).as("c linked to d").isEqualTo(1);
            }
        }
    }

    @Test
    void aHubAtItsMaximumRefusesALearnedLinkButNotABootstrapOne() throws Exception {
        // Maintenance off (the test kit's default): hub 0 has exactly its three bootstrap links.
        try (HubCluster c = HubCluster.of("heal-limit").start(4, HubCluster.star(4))) {
            c.awaitConverged(Duration.ofSeconds(10));
            assertThat(links(c.hub(0))).isEqualTo(3);
            String id = dev.peerpigeon.protocol.PeerId.generate();
            String hubHeader = dev.peerpigeon.federation.HubMesh.HUB_HEADER + ": " + id + " heal-limit "
                    + HubMesh.CAPABILITY;
            String learned = dev.peerpigeon.testkit.RawHttp.upgrade(c.hub(0).getPort(), "/?peerId=" + id, hubHeader,
                    HubMesh.LEARNED_LINK_HEADER + ": 1");
            assertThat(dev.peerpigeon.testkit.RawHttp.status(learned)).isEqualTo(503);
            assertThat(learned).contains("Hub link limit reached");
            String bootstrap = dev.peerpigeon.testkit.RawHttp.upgrade(c.hub(0).getPort(), "/?peerId=" + id, hubHeader);
            assertThat(dev.peerpigeon.testkit.RawHttp.status(bootstrap)).isEqualTo(101);
        }
    }

    @Test
    void otherHubsDialAHubAtTheAddressItAdvertises() throws Exception {
        // Hub d is reachable only through a proxy (as behind NAT): it advertises the proxy's address.
        int dPort = dev.peerpigeon.testkit.Ports.free();
        try (dev.peerpigeon.testkit.TcpProxy nat = new dev.peerpigeon.testkit.TcpProxy(dPort);
             PeerPigeonServer a = HubCluster.testHub("heal-nat").build().start()) {
            java.net.URI aUri = java.net.URI.create("ws://127.0.0.1:" + a.getPort());
            try (PeerPigeonServer b = HubCluster.testHub("heal-nat").hubMeshMinPeers(3).bootstrapHubs(List.of(aUri))
                    .build().start();
                 PeerPigeonServer d = HubCluster.testHub("heal-nat").port(dPort).hubMeshMinPeers(1) // b dials, not d
                         .hubAdvertiseUri(java.net.URI.create("ws://127.0.0.1:" + nat.port()))
                         .bootstrapHubs(List.of(aUri)).build().start()) {
                Await.until("b linked to d directly", HEAL, () -> MeshView.pathLength(b, hubId(d)) == 1,
                        () -> MeshView.describe(b) + "\n" + MeshView.describe(d));
                assertThat(nat.forwardedBytes()).as("the learned dial went to the advertised address").isPositive();
            }
        }
    }

    private static String hubId(PeerPigeonServer hub) {
        return MeshView.mesh(hub).hubId();
    }
}

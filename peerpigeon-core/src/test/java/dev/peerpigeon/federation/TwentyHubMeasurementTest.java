package dev.peerpigeon.federation;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.testkit.MeshView;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.HubCluster;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Convergence and message cost in a topology of 20 hubs (a random connected graph). Prints the
 * figures (times are informative only and never asserted); asserts the exact-once counts and that a
 * routed signal costs one link frame per hop of its path, not a flood.
 */
class TwentyHubMeasurementTest {

    private static long totalLinkFrames(HubCluster c) {
        long n = 0;
        for (int i = 0; i < c.size(); i++) {
            n += MeshView.linkFramesSent(c.hub(i));
        }
        return n;
    }

    @Test
    void twentyHubs() {
        int n = 20;
        long t0 = System.nanoTime();
        try (HubCluster cluster = HubCluster.of("bench-mesh").start(n, HubCluster.random(n, 8, 7))) {
            cluster.awaitConverged(Duration.ofSeconds(30));
            long meshMs = (System.nanoTime() - t0) / 1_000_000;

            List<TestClient> peers = new ArrayList<>();
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                peers.add(cluster.client(i, "n1"));
            }
            for (TestClient a : peers) {
                for (TestClient b : peers) {
                    if (a != b) {
                        a.awaitDiscovered(b.peerId());
                    }
                }
            }
            long discoveryMs = (System.nanoTime() - t1) / 1_000_000;
            for (TestClient p : peers) {
                p.sync();
            }
            for (TestClient a : peers) {
                assertThat(a.ofType("peer-discovered")).hasSize(n - 1);
            }
            Await.until("link traffic settles", Duration.ofSeconds(10), () -> {
                long before = totalLinkFrames(cluster);
                for (TestClient p : peers) {
                    p.sync();
                }
                return totalLinkFrames(cluster) == before;
            });

            // One routed signal from hub 0's peer to every other hub's peer: link frames per signal.
            int pathHopsTotal = 0;
            long framesTotal = 0;
            for (int i = 1; i < n; i++) {
                TestClient from = peers.get(0);
                TestClient to = peers.get(i);
                int hops = MeshView.pathLength(cluster.hub(0), cluster.hub(i).config().hub().id());
                long before = totalLinkFrames(cluster);
                int got = to.ofType("offer").size();
                from.offer(to.peerId(), "v=0 measured offer " + i);
                Await.until("offer " + i, () -> to.ofType("offer").size() == got + 1);
                long frames = totalLinkFrames(cluster) - before;
                assertThat(frames).as("link frames for a signal over " + hops + " hops").isEqualTo(hops);
                pathHopsTotal += hops;
                framesTotal += frames;
            }
            long framesBeforeJoin = totalLinkFrames(cluster);
            long t2 = System.nanoTime();
            TestClient late = cluster.client(n / 2, "n1");
            for (TestClient p : peers) {
                p.awaitDiscovered(late.peerId());
            }
            long lateMs = (System.nanoTime() - t2) / 1_000_000;
            Await.until("announce flood settles", Duration.ofSeconds(10), () -> {
                long before = totalLinkFrames(cluster);
                late.sync();
                return totalLinkFrames(cluster) == before;
            });
            long joinFrames = totalLinkFrames(cluster) - framesBeforeJoin;
            int links = 0;
            for (int i = 0; i < n; i++) {
                links += MeshView.links(cluster.hub(i)).size();
            }
            links /= 2;
            // Each hub forwards a new announce once on each of its other links: at most 2 per link.
            assertThat(joinFrames).isLessThanOrEqualTo(2L * links);
            peers.get(n - 1).close();
            long t3 = System.nanoTime();
            for (int i = 0; i < n - 1; i++) {
                TestClient p = peers.get(i);
                p.await("departure", o -> TestClient.isType(o, "peer-disconnected"));
            }
            long departMs = (System.nanoTime() - t3) / 1_000_000;
            System.out.printf("20-hub measurement: mesh converged in %d ms; 20 peers fully discovered in %d ms; "
                            + "late joiner known everywhere in %d ms; departure everywhere in %d ms; "
                            + "routed signals: %d link frames for %d hops (%.2f frames per signal); "
                            + "one announce: %d link frames over %d links%n",
                    meshMs, discoveryMs, lateMs, departMs, framesTotal, pathHopsTotal, framesTotal / (double) (n - 1),
                    joinFrames, links);
            for (PeerPigeonServer h : List.of(cluster.hub(0))) {
                assertThat(MeshView.reachableHubCount(h)).isEqualTo(n - 1);
            }
        }
    }
}

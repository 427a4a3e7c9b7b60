package dev.peerpigeon.cluster;

import com.google.gson.JsonObject;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RedisClusterKit;
import dev.peerpigeon.testkit.RedisServer;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The cluster's semantics over real sockets and a real redis-server: the same as one big server. */
class RedisClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @BeforeAll
    static void redisInstalled() {
        RedisServer.assumeAvailable();
    }


    @Test
    void peersOnDifferentNodesDiscoverEachOtherExactlyOnceIncludingALateJoinerAndSignalWithTheirRealIds() {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-a", 2)) {
            kit.awaitNodes(2, WAIT);
            TestClient a = kit.peer(0, "app");
            TestClient b = kit.peer(1, "app");
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());

            // Offer and answer across nodes, with the sender's real fromPeerId.
            a.offer(b.peerId(), "sdp-a");
            JsonObject offer = b.awaitType("offer");
            assertThat(offer.get("fromPeerId").getAsString()).isEqualTo(a.peerId());
            b.signal("answer", "{\"type\":\"answer\",\"sdp\":\"sdp-b\"}", a.peerId());
            JsonObject answer = a.awaitType("answer");
            assertThat(answer.get("fromPeerId").getAsString()).isEqualTo(b.peerId());
            b.signal("ice-candidate", "{\"candidate\":\"c\"}", a.peerId());
            assertThat(a.awaitType("ice-candidate").get("fromPeerId").getAsString()).isEqualTo(b.peerId());
            // A signal without data crosses nodes too, still without data (as it does on one node).
            b.send("{\"type\":\"connection-rejected\",\"targetPeerId\":\"" + a.peerId() + "\"}");
            JsonObject rejected = a.awaitType("connection-rejected");
            assertThat(rejected.get("fromPeerId").getAsString()).isEqualTo(b.peerId());
            assertThat(rejected.has("data") && !rejected.get("data").isJsonNull()).isFalse();

            // A late node and a late joiner on it: it discovers both existing peers once, and they discover it once.
            int late = kit.addNode();
            kit.awaitNodes(3, WAIT);
            TestClient c = kit.peer(late, "app");
            c.awaitDiscovered(a.peerId());
            c.awaitDiscovered(b.peerId());
            a.awaitDiscovered(c.peerId());
            b.awaitDiscovered(c.peerId());
            a.sync();
            b.sync();
            c.sync();
            assertThat(c.discoveredCount(a.peerId())).isEqualTo(1);
            assertThat(c.discoveredCount(b.peerId())).isEqualTo(1);
            assertThat(a.discoveredCount(b.peerId())).isEqualTo(1);
            assertThat(a.discoveredCount(c.peerId())).isEqualTo(1);
            assertThat(b.discoveredCount(c.peerId())).isEqualTo(1);
        }
    }


    @Test
    void networksNeverLeakAcrossNodes() {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-nets", 2)) {
            kit.awaitNodes(2, WAIT);
            TestClient a = kit.peer(0, "app");
            TestClient other = kit.peer(1, "other");
            TestClient b = kit.peer(1, "app");
            a.awaitDiscovered(b.peerId());
            other.sync();
            // The peer of the other network is neither discovered nor reachable from "app".
            a.offer(other.peerId(), "sdp");
            JsonObject error = a.awaitType("error");
            assertThat(error.toString()).contains("is not connected in network 'app'");
            a.sync();
            assertThat(a.discoveredCount(other.peerId())).isZero();
            assertThat(other.discoveredCount(a.peerId())).isZero();
            assertThat(other.ofType("offer")).isEmpty();
        }
    }

    @Test
    void twoNamespacesOnOneRedisNeverSeeEachOther() {
        try (RedisServer redis = RedisServer.start();
             RedisClusterKit prod = RedisClusterKit.on(redis, "prod", 1, b -> b);
             RedisClusterKit staging = RedisClusterKit.on(redis, "staging", 1, b -> b)) {
            prod.awaitNodes(1, WAIT);
            staging.awaitNodes(1, WAIT);
            String shared = PeerId.generate();
            TestClient p = prod.client(0, shared).announce("app");
            TestClient p2 = prod.peer(0, "app");
            p2.awaitDiscovered(shared);
            // The same id is free in the other namespace, and nothing of prod reaches staging.
            TestClient s = staging.client(0, shared).announce("app");
            assertThat(s.everOpened()).isTrue();
            TestClient s2 = staging.peer(0, "app");
            s2.awaitDiscovered(shared);
            p.sync();
            s.sync();
            assertThat(p.discoveredCount(s2.peerId())).isZero();
            assertThat(s.discoveredCount(p2.peerId())).isZero();
            assertThat(s2.discoveredCount(shared)).isEqualTo(1);
        }
    }

    @Test
    void aPeerIdLiveOnOneNodeIsRefusedWith409OnTheOthersAndFreeAgainOnceItLeft() throws Exception {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-ids", 2)) {
            kit.awaitNodes(2, WAIT);
            String id = PeerId.generate();
            TestClient a = kit.client(0, id).announce("app");
            TestClient watcher = kit.peer(1, "app");
            watcher.awaitDiscovered(id);
            String answer = RawHttp.upgrade(kit.port(1), "/?peerId=" + id);
            assertThat(RawHttp.status(answer)).isEqualTo(409);
            assertThat(answer).contains("Peer already connected on another cluster node");
            a.close();
            Await.until("departure seen on node 1", WAIT, () -> watcher.sawDisconnected(id));
            TestClient again = kit.client(1, id);
            assertThat(again.isOpen()).isTrue();
        }
    }

    @Test
    void departuresByCloseAndGoodbyeReachTheOtherNodesWithinTwoSeconds() {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-leave", 2)) {
            kit.awaitNodes(2, WAIT);
            TestClient watcher = kit.peer(0, "app");
            TestClient closer = kit.peer(1, "app");
            TestClient leaver = kit.peer(1, "app");
            watcher.awaitDiscovered(closer.peerId());
            watcher.awaitDiscovered(leaver.peerId());

            long t0 = System.nanoTime();
            closer.close();
            Await.until("close seen across nodes", Duration.ofSeconds(2), () -> watcher.sawDisconnected(closer.peerId()));
            long closeMillis = (System.nanoTime() - t0) / 1_000_000;

            t0 = System.nanoTime();
            leaver.send("{\"type\":\"goodbye\",\"data\":{\"reason\":\"bye\"}}");
            Await.until("goodbye seen across nodes", Duration.ofSeconds(2), () -> watcher.sawDisconnected(leaver.peerId()));
            long goodbyeMillis = (System.nanoTime() - t0) / 1_000_000;
            // The closest local members hear the goodbye itself too, as on one server.
            watcher.await("goodbye from " + leaver.peerId(), m -> TestClient.isType(m, "goodbye")
                    && leaver.peerId().equals(m.get("fromPeerId").getAsString()), Duration.ofSeconds(2));
            // A node that stops normally leaves at once: its peers are gone everywhere without waiting for its heartbeat.
            TestClient stays = kit.peer(1, "app");
            watcher.awaitDiscovered(stays.peerId());
            t0 = System.nanoTime();
            kit.stopNode(1);
            Await.until("a stopped node's peer gone", Duration.ofSeconds(2), () -> watcher.sawDisconnected(stays.peerId()));
            long stopMillis = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("MEASURED cluster departure: close " + closeMillis + " ms, goodbye " + goodbyeMillis
                    + " ms, node stopped " + stopMillis + " ms");
        }
    }

    @Test
    void aRoutedSignalCostsOnePublishAndAnAnnounceAnHsetAndAPublish() throws Exception {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-cost", 2)) {
            kit.awaitNodes(2, WAIT);
            TestClient a = kit.peer(0, "app");
            TestClient b = kit.peer(1, "app");
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());
            List<String> beats = List.of("eval", "zadd", "zrangebyscore", "zrange", "time", "info");
            java.util.Map<String, Long> before = kit.redis().commandCalls();
            int n = 500;
            for (int i = 0; i < n; i++) {
                a.signal("ice-candidate", "{\"candidate\":\"c" + i + "\"}", b.peerId());
            }
            Await.until(n + " candidates across nodes", WAIT, () -> b.ofType("ice-candidate").size() == n);
            java.util.Map<String, Long> after = kit.redis().commandCalls();
            long publishes = after.getOrDefault("publish", 0L) - before.getOrDefault("publish", 0L);
            long others = 0;
            for (var e : after.entrySet()) {
                if (!beats.contains(e.getKey()) && !e.getKey().equals("publish")) {
                    others += e.getValue() - before.getOrDefault(e.getKey(), 0L);
                }
            }
            System.out.println("MEASURED cluster commands per routed signal: publish " + (double) publishes / n
                    + ", other non-heartbeat commands " + others + " for " + n + " signals");
            // Heartbeat scripts publish nothing unless a node died; their PUBLISH calls would count here.
            assertThat(publishes).isBetween((long) n, (long) (n * 1.1));
            assertThat(others).isZero();

            // An announce: the peer's hash field, then the event (HSET + PUBLISH); nothing else.
            before = kit.redis().commandCalls();
            int k = 20;
            for (int i = 0; i < k; i++) {
                TestClient p = kit.peer(0, "app");
                b.awaitDiscovered(p.peerId());
            }
            after = kit.redis().commandCalls();
            System.out.println("MEASURED cluster commands per announce: hset "
                    + (double) (after.get("hset") - before.getOrDefault("hset", 0L)) / k + ", publish "
                    + (double) (after.get("publish") - before.getOrDefault("publish", 0L)) / k);
            assertThat(after.get("hset") - before.getOrDefault("hset", 0L)).isEqualTo(k);
            assertThat(after.get("publish") - before.getOrDefault("publish", 0L)).isEqualTo(k);
        }
    }

    @Test
    void healthShowsTheClusterAndTheRedisPasswordIsNeverLogged() {
        long mark = dev.peerpigeon.testkit.TestLogs.mark();
        int nothing = dev.peerpigeon.testkit.Ports.free();
        try (PeerPigeonServer s = PeerPigeonServer.builder().port(0).host("127.0.0.1").hubMeshNamespace("secretive")
                .redisUrl("redis://user:s3cret-pw@127.0.0.1:" + nothing + "/2").build().start()) {
            Await.until("redis down in /health", WAIT, () -> {
                JsonObject c = RedisClusterKit.health(s.getPort());
                return c != null && c.get("redis").getAsString().equals("down");
            });
            JsonObject c = RedisClusterKit.health(s.getPort());
            assertThat(c.get("namespace").getAsString()).isEqualTo("secretive");
            assertThat(c.get("nodes").getAsInt()).isEqualTo(1);
            dev.peerpigeon.testkit.TestLogs.awaitLine(WAIT, "Cluster 'secretive'", "is unreachable");
            assertThat(s.config().toString()).doesNotContain("s3cret-pw");
        }
        assertThat(dev.peerpigeon.testkit.TestLogs.linesSince(mark)).noneMatch(l -> l.contains("s3cret-pw"));
    }
}

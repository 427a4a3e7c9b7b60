package dev.peerpigeon.cluster;

import com.google.gson.JsonObject;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.ForkedJvm;
import dev.peerpigeon.testkit.RedisClusterKit;
import dev.peerpigeon.testkit.RedisServer;
import dev.peerpigeon.testkit.TestClient;
import dev.peerpigeon.testkit.TestLogs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cluster's failure behaviour with a real redis-server: a node killed with SIGKILL, Redis restarted empty,
 * Redis down at start and later. Each test prints its measured recovery time ({@code MEASURED ...}).
 */
class RedisClusterFailureTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @BeforeAll
    static void redisInstalled() {
        RedisServer.assumeAvailable();
    }



    private static dev.peerpigeon.testkit.PrometheusText.Parsed metrics(int port) {
        try {
            return dev.peerpigeon.testkit.PrometheusText.parse(dev.peerpigeon.testkit.RawHttp.body(
                    dev.peerpigeon.testkit.RawHttp.get(port, "/metrics")), false);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void theSurvivorsReportAKilledNodesPeersDisconnectedWithinTenSecondsAndForgetThem() throws Exception {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-kill", 1)) {
            ForkedJvm[] jvm = new ForkedJvm[1];
            int forkedPort = kit.forkNode(jvm);
            kit.awaitNodes(2, Duration.ofSeconds(20));
            TestClient watcher = kit.peer(0, "app");
            TestClient doomed = kit.remember(TestClient.connect(forkedPort, PeerId.generate())).announce("app");
            watcher.awaitDiscovered(doomed.peerId());

            long t0 = System.nanoTime();
            jvm[0].kill();
            Await.until("the killed node's peer reported gone", Duration.ofSeconds(10),
                    () -> watcher.sawDisconnected(doomed.peerId()));
            long gone = millisSince(t0);
            System.out.println("MEASURED cluster SIGKILLed node: its peers peer-disconnected after " + gone + " ms");

            // No longer discovered, and its id is free again.
            TestClient late = kit.peer(0, "app");
            late.sync();
            assertThat(late.discoveredCount(doomed.peerId())).isZero();
            assertThat(kit.client(0, doomed.peerId()).isOpen()).isTrue();
            kit.awaitNodes(1, WAIT);
        }
    }

    @Test
    void afterRedisRestartsEmptyTheNodesRegisterAgainAndTheClusterWorksWithinTenSeconds() throws Exception {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-restart", 2)) {
            kit.awaitNodes(2, WAIT);
            TestClient a = kit.peer(0, "app");
            TestClient b = kit.peer(1, "app");
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());

            kit.redis().restart(); // SIGKILL, then a new empty redis-server on the same port
            long t0 = System.nanoTime();
            Await.until("both nodes registered again", WAIT, () -> {
                try {
                    // Two heartbeats, and each node's peer hash (one peer each) written again.
                    return kit.redis().command("ZCARD", "peerpigeon:cluster-restart:beats").equals("2")
                            && kit.redis().command("KEYS", "peerpigeon:cluster-restart:peers:*").split("\n").length == 2;
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            long registered = millisSince(t0);
            // Existing peers still reach each other, and a newcomer is discovered across nodes.
            Await.until("a signal across nodes after the restart", WAIT, () -> {
                a.offer(b.peerId(), "after-restart");
                return b.ofType("offer").stream().anyMatch(o -> o.toString().contains("after-restart"));
            });
            TestClient c = kit.peer(1, "app");
            a.awaitDiscovered(c.peerId());
            c.awaitDiscovered(a.peerId());
            long working = millisSince(t0);
            System.out.println("MEASURED cluster Redis restarted empty: re-registered after " + registered
                    + " ms, signals and discovery across nodes after " + working + " ms");
            assertThat(working).isLessThan(10_000);
            a.sync();
            assertThat(c.discoveredCount(a.peerId())).isEqualTo(1);
            assertThat(a.discoveredCount(b.peerId())).as("no flapping of existing peers").isEqualTo(1);
            assertThat(a.sawDisconnected(b.peerId())).isFalse();
        }
    }

    @Test
    void withRedisDownAtStartANodeServesItsOwnPeersSaysSoOnceAndJoinsWhenRedisComesUp() {
        RedisServer redis = RedisServer.start();
        redis.kill();
        long mark = TestLogs.mark();
        try (redis; RedisClusterKit kit = RedisClusterKit.on(redis, "cluster-late-redis", 2, b -> b)) {
            kit.awaitRedisDown(0, WAIT);
            TestClient a = kit.peer(0, "app");
            TestClient a2 = kit.peer(0, "app");
            a.awaitDiscovered(a2.peerId());
            a.offer(a2.peerId(), "local-while-down"); // local signals need no Redis
            assertThat(a2.awaitType("offer").get("fromPeerId").getAsString()).isEqualTo(a.peerId());
            TestClient b = kit.peer(1, "app");
            b.sync();
            // Let a few reconnection attempts (one a second) happen: still one line per node, checked below.
            TestLogs.awaitLine(WAIT, "Cluster 'cluster-late-redis'", "is unreachable");
            long retries = System.nanoTime();
            Await.until("three connection retries", WAIT, () -> millisSince(retries) > 3000);
            JsonObject health = RedisClusterKit.health(kit.port(1));
            assertThat(health.get("redis").getAsString()).isEqualTo("down");

            redis.restart();
            long t0 = System.nanoTime();
            a.awaitDiscovered(b.peerId());
            b.awaitDiscovered(a.peerId());
            b.awaitDiscovered(a2.peerId());
            long joined = millisSince(t0);
            kit.awaitNodes(2, WAIT);
            System.out.println("MEASURED cluster Redis down at start: cross-node discovery " + joined
                    + " ms after Redis came up");
            assertThat(TestLogs.linesSince(mark).stream()
                    .filter(l -> l.contains("Cluster 'cluster-late-redis'") && l.contains("is unreachable")).count())
                    .isEqualTo(2); // once per node, however many retries
            TestLogs.awaitLine(WAIT, "Cluster 'cluster-late-redis'", "reachable again");
        }
    }

    @Test
    void whenRedisGoesAwayTheNodesServeLocallyForgetEachOtherAndRejoinByThemselves() {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-outage", 2)) {
            kit.awaitNodes(2, WAIT);
            TestClient a = kit.peer(0, "app");
            TestClient b = kit.peer(1, "app");
            a.awaitDiscovered(b.peerId());

            kit.redis().kill();
            long t0 = System.nanoTime();
            Await.until("b forgotten on node 0", WAIT, () -> a.sawDisconnected(b.peerId()));
            long forgotten = millisSince(t0);
            kit.awaitRedisDown(0, WAIT);
            TestClient local = kit.peer(0, "app");
            a.awaitDiscovered(local.peerId()); // local service goes on
            a.offer(b.peerId(), "while-down");
            assertThat(a.awaitType("error").toString()).contains("not connected");
            // /metrics says so too; what could not be written is counted, not queued.
            dev.peerpigeon.testkit.PrometheusText.Parsed down = metrics(kit.port(0));
            assertThat(down.value("peerpigeon_cluster_redis_up")).isZero();
            assertThat(down.value("peerpigeon_cluster_remote_peers")).isZero();
            // The local newcomer's announce: counted on the cluster thread, maybe after a already saw it.
            Await.until("the newcomer's announce counted as dropped", WAIT,
                    () -> metrics(kit.port(0)).value("peerpigeon_cluster_dropped_total") > 0);

            kit.redis().restart();
            long t1 = System.nanoTime();
            a.await("b rediscovered", m -> TestClient.isType(m, "peer-discovered")
                    && m.getAsJsonObject("data").get("peerId").getAsString().equals(b.peerId())
                    && a.discoveredCount(b.peerId()) == 2, WAIT);
            b.awaitDiscovered(local.peerId());
            long rejoined = millisSince(t1);
            Await.until("metrics up again", WAIT, () -> metrics(kit.port(0)).value("peerpigeon_cluster_redis_up") == 1
                    && metrics(kit.port(0)).value("peerpigeon_cluster_nodes") == 2
                    && metrics(kit.port(0)).value("peerpigeon_cluster_remote_peers") == 1);
            System.out.println("MEASURED cluster Redis outage: other node's peers forgotten after " + forgotten
                    + " ms; rejoined " + rejoined + " ms after Redis came back");
        }
    }

    @Test
    void churnWhileRedisIsAwayIsNotReplayedOnlyTheNodesCurrentPeersAreRegisteredAgain() throws Exception {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-churn", 2)) {
            kit.awaitNodes(2, WAIT);
            TestClient watcher = kit.peer(1, "app");
            kit.redis().kill();
            kit.awaitRedisDown(0, WAIT);
            // 30 joins and 20 departures while Redis is away: nothing of it is queued.
            java.util.List<TestClient> stayed = new java.util.ArrayList<>();
            for (int i = 0; i < 30; i++) {
                TestClient c = kit.peer(0, "app");
                if (i < 20) {
                    c.close();
                } else {
                    stayed.add(c);
                }
            }
            stayed.get(0).sync();
            kit.redis().restart();
            for (TestClient c : stayed) {
                watcher.awaitDiscovered(c.peerId());
            }
            // Node 0's hash holds its 10 current peers (+ its change number), and the watcher never heard of the rest.
            String keys = kit.redis().command("KEYS", "peerpigeon:cluster-churn:peers:*");
            long node0 = 0;
            for (String key : keys.split("\n")) {
                node0 = Math.max(node0, Long.parseLong(kit.redis().command("HLEN", key)));
            }
            assertThat(node0).isEqualTo(10 + 1);
            watcher.sync();
            assertThat(watcher.ofType("peer-discovered")).hasSize(10);
            assertThat(watcher.ofType("peer-disconnected")).isEmpty();
        }
    }

    @Test
    void garbageOnTheClusterChannelsIsIgnoredAndTheClusterKeepsWorking() throws Exception {
        try (RedisClusterKit kit = RedisClusterKit.start("cluster-garbage", 2)) {
            kit.awaitNodes(2, WAIT);
            TestClient a = kit.peer(0, "app");
            long mark = TestLogs.mark();
            String events = "peerpigeon:cluster-garbage:events";
            for (String junk : new String[]{"not json", "{}", "[]", "[\"J\"]", "[\"J\",\"x\",\"nan\",1,2,3]",
                    "[\"R\",\"x\"]", "[\"G\"]", "[\"S\",1,2]", "[\"L\",null,1,2,3,4]", "[\"Q\",\"x\"]"}) {
                kit.redis().command("PUBLISH", events, junk);
            }
            TestClient b = kit.peer(1, "app");
            a.awaitDiscovered(b.peerId());
            a.offer(b.peerId(), "still-works");
            assertThat(b.awaitType("offer").get("fromPeerId").getAsString()).isEqualTo(a.peerId());
            kit.awaitNodes(2, WAIT);
            assertThat(TestLogs.linesSince(mark)).noneMatch(l -> l.contains("WARN") || l.contains("ERROR"));
        }
    }
}

package dev.peerpigeon.testkit;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.PeerPigeonServer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * N cluster nodes on ephemeral ports in this JVM sharing one {@link RedisServer} (or a given one), plus nodes in a
 * child JVM ({@link #forkNode()}) that a test can SIGKILL. Nodes can be stopped or added at any time; Redis can be
 * restarted ({@link #redis()}). Everything is stopped on {@link #close()}. Used by the test thread only.
 */
public final class RedisClusterKit implements AutoCloseable {
    private final RedisServer redis;
    private final boolean ownsRedis;
    private final String namespace;
    private final UnaryOperator<PeerPigeonServer.Builder> customizer;
    private final List<PeerPigeonServer> nodes = new ArrayList<>();
    private final List<ForkedJvm> forked = new ArrayList<>();
    private final List<TestClient> clients = new ArrayList<>();

    private RedisClusterKit(RedisServer redis, boolean ownsRedis, String namespace,
                            UnaryOperator<PeerPigeonServer.Builder> customizer) {
        this.redis = redis;
        this.ownsRedis = ownsRedis;
        this.namespace = namespace;
        this.customizer = customizer;
    }

    /** {@code n} nodes of cluster {@code namespace} on a Redis of their own. */
    public static RedisClusterKit start(String namespace, int n) {
        RedisClusterKit kit = new RedisClusterKit(RedisServer.start(), true, namespace, b -> b);
        kit.addNodes(n);
        return kit;
    }

    /** {@code n} nodes of cluster {@code namespace} on {@code redis} (shared with other kits; not stopped by this). */
    public static RedisClusterKit on(RedisServer redis, String namespace, int n, UnaryOperator<PeerPigeonServer.Builder> customizer) {
        RedisClusterKit kit = new RedisClusterKit(redis, false, namespace, customizer);
        kit.addNodes(n);
        return kit;
    }

    private void addNodes(int n) {
        for (int i = 0; i < n; i++) {
            addNode();
        }
    }

    /** Starts one more node (a late joiner); returns its index. */
    public int addNode() {
        PeerPigeonServer s = customizer.apply(PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .hubMeshNamespace(namespace).redisUrl(redis.url())).build().start();
        nodes.add(s);
        return nodes.size() - 1;
    }

    /** A node in a child JVM (kill it with {@link ForkedJvm#kill()}); returns its port. */
    public int forkNode(ForkedJvm[] out) throws IOException {
        ForkedJvm jvm = ForkedJvm.start(ForkedServerMain.class.getName(),
                Map.of("REDIS_URL", redis.url(), "HUB_MESH_NAMESPACE", namespace), 0, List.of("-Xmx128m"));
        forked.add(jvm);
        out[0] = jvm;
        return ForkedServerMain.awaitPort(jvm);
    }

    public RedisServer redis() {
        return redis;
    }

    public PeerPigeonServer node(int i) {
        return nodes.get(i);
    }

    public int port(int i) {
        return nodes.get(i).getPort();
    }

    /** Stops node {@code i} (gracefully: it leaves the cluster). */
    public void stopNode(int i) {
        nodes.get(i).stop();
    }

    /** A client of node {@code i}, closed with the kit. */
    public TestClient client(int i, String peerId) {
        return remember(TestClient.connect(port(i), peerId));
    }

    /** A new peer of node {@code i} announced in {@code network}. */
    public TestClient peer(int i, String network) {
        return client(i, dev.peerpigeon.protocol.PeerId.generate()).announce(network);
    }

    public TestClient remember(TestClient c) {
        clients.add(c);
        return c;
    }

    /** The {@code cluster} object of node {@code port}'s {@code /health}. */
    public static JsonObject health(int port) {
        try {
            JsonObject h = JsonParser.parseString(RawHttp.body(RawHttp.get(port, "/health"))).getAsJsonObject();
            return h.getAsJsonObject("cluster");
        } catch (IOException e) {
            throw new AssertionError("GET /health on " + port, e);
        }
    }

    /** Waits until node {@code i}'s {@code /health} says Redis is down. */
    public void awaitRedisDown(int i, Duration wait) {
        Await.until("redis down in /health of node " + i, wait,
                () -> health(port(i)).get("redis").getAsString().equals("down"));
    }

    /** Waits until every running node of this JVM sees {@code n} live nodes with Redis up. */
    public void awaitNodes(int n, Duration wait) {
        for (PeerPigeonServer s : nodes) {
            if (s.isRunning()) {
                Await.until("node :" + s.getPort() + " seeing " + n + " nodes", wait, () -> {
                    JsonObject c = health(s.getPort());
                    return c.get("redis").getAsString().equals("up") && c.get("nodes").getAsInt() == n;
                }, () -> "health: " + health(s.getPort()));
            }
        }
    }

    @Override
    public void close() {
        for (TestClient c : clients) {
            c.close();
        }
        for (PeerPigeonServer s : nodes) {
            s.close();
        }
        for (ForkedJvm f : forked) {
            f.close();
        }
        if (ownsRedis) {
            redis.close();
        }
    }
}

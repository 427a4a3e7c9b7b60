package dev.peerpigeon.testkit;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * N hubs in one JVM on ephemeral ports, wired in any topology (MockWebServer style). Hub i dials the
 * hubs listed in its edge set at start; the cluster can kill and restart hubs (same port and hub id), and
 * with {@link #viaProxies()} every link runs through a {@link TcpProxy} ({@link #link(int, int)}) for
 * per-link faults (stall, cut, delay, partition) without hooks in production code. It always stops
 * everything on close. Used by the test thread only (or through {@link HubClusterExtension}).
 */
public final class HubCluster implements AutoCloseable {
    private final String namespace;
    private final List<PeerPigeonServer> hubs = new ArrayList<>();
    private final List<String> ids = new ArrayList<>();
    private final List<List<Integer>> dials = new ArrayList<>();
    private final List<TestClient> clients = new ArrayList<>();
    private final UnaryOperator<PeerPigeonServer.Builder> customizer;
    /** Per dialed edge "dialer->target": the proxy the dialer's bootstrap URI points at. */
    private final Map<String, TcpProxy> proxies = new LinkedHashMap<>();
    private boolean viaProxies;

    private HubCluster(String namespace, UnaryOperator<PeerPigeonServer.Builder> customizer) {
        this.namespace = namespace;
        this.customizer = customizer;
    }

    public static HubCluster of(String namespace) {
        return new HubCluster(namespace, b -> b);
    }

    public static HubCluster of(String namespace, UnaryOperator<PeerPigeonServer.Builder> customizer) {
        return new HubCluster(namespace, customizer);
    }

    /** Wires every link through its own {@link TcpProxy}; call before {@link #start}. */
    public HubCluster viaProxies() {
        viaProxies = true;
        return this;
    }

    /** The proxy of the link between hubs a and b (either order); needs {@link #viaProxies()}. */
    public TcpProxy link(int a, int b) {
        TcpProxy p = proxies.get(Math.max(a, b) + "->" + Math.min(a, b));
        if (p == null) {
            throw new IllegalArgumentException("no proxied link " + a + "-" + b + " (viaProxies() before start?)");
        }
        return p;
    }

    /**
     * The one hub builder of the tests: a hub in {@code namespace} on 127.0.0.1, port 0, redialing fast (100 ms,
     * at most 500 ms apart), without the implicit :3000 bootstrap, and without the mesh maintenance
     * ({@code hubMeshMinPeers(0)}: the links are exactly the ones a test wires; tests of the self-healing mesh set
     * it back). Tests chain what they need on top.
     */
    public static PeerPigeonServer.Builder testHub(String namespace) {
        return PeerPigeonServer.builder().port(0).host("127.0.0.1").isHub(true).hubMeshNamespace(namespace)
                .defaultBootstrapPort(0).reconnectInterval(100).maxReconnectInterval(500).hubMeshMinPeers(0);
    }

    /** Builder for hub i of the cluster: {@link #testHub} plus its id, port, bootstrap list and the customizer. */
    public PeerPigeonServer.Builder hubBuilder(String hubId, int port, List<URI> bootstrap) {
        return customizer.apply(testHub(namespace).port(port).hubPeerId(hubId).bootstrapHubs(bootstrap)
                .maxReconnectInterval(1000).pingInterval(1000).cleanupInterval(2000));
    }

    /** Starts hubs 0..n-1 in order; hub i dials every j in {@code edges} with j &lt; i (edges are undirected). */
    public HubCluster start(int n, int[][] edges) {
        for (int i = 0; i < n; i++) {
            ids.add(PeerId.generate());
            dials.add(new ArrayList<>());
        }
        for (int[] e : edges) {
            int a = Math.max(e[0], e[1]);
            int b = Math.min(e[0], e[1]);
            dials.get(a).add(b);
        }
        for (int i = 0; i < n; i++) {
            hubs.add(startHub(i, 0));
        }
        return this;
    }

    private PeerPigeonServer startHub(int i, int port) {
        List<URI> bootstrap = new ArrayList<>();
        for (int j : dials.get(i)) {
            int target = hubs.get(j).getPort();
            if (viaProxies) {
                target = proxies.computeIfAbsent(i + "->" + j, k -> TcpProxy.to(hubs.get(j).getPort())).port();
            }
            bootstrap.add(URI.create("ws://127.0.0.1:" + target));
        }
        return hubBuilder(ids.get(i), port, bootstrap).build().start();
    }

    public static int[][] chain(int n) {
        int[][] e = new int[n - 1][];
        for (int i = 1; i < n; i++) {
            e[i - 1] = new int[]{i - 1, i};
        }
        return e;
    }

    public static int[][] star(int n) {
        int[][] e = new int[n - 1][];
        for (int i = 1; i < n; i++) {
            e[i - 1] = new int[]{0, i};
        }
        return e;
    }

    public static int[][] ring(int n) {
        int[][] e = new int[n][];
        for (int i = 0; i < n; i++) {
            e[i] = new int[]{i, (i + 1) % n};
        }
        return e;
    }

    /** A random connected graph: a random spanning tree plus {@code extra} random edges. */
    public static int[][] random(int n, int extra, long seed) {
        Random rnd = new Random(seed);
        List<int[]> e = new ArrayList<>();
        for (int i = 1; i < n; i++) {
            e.add(new int[]{rnd.nextInt(i), i});
        }
        for (int k = 0; k < extra; k++) {
            int a = rnd.nextInt(n);
            int b = rnd.nextInt(n);
            if (a != b) {
                e.add(new int[]{a, b});
            }
        }
        return e.toArray(new int[0][]);
    }

    public PeerPigeonServer hub(int i) {
        return hubs.get(i);
    }

    public int size() {
        return hubs.size();
    }

    /** Waits until every hub reaches every other hub through the mesh. */
    public HubCluster awaitConverged(Duration timeout) {
        Await.until("hub mesh converged", timeout, () -> {
            for (PeerPigeonServer h : hubs) {
                if (h.isRunning() && MeshView.reachableHubCount(h) != runningCount() - 1) {
                    return false;
                }
            }
            return true;
        }, this::describe);
        return this;
    }

    private int runningCount() {
        int n = 0;
        for (PeerPigeonServer h : hubs) {
            n += h.isRunning() ? 1 : 0;
        }
        return n;
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < hubs.size(); i++) {
            sb.append("\n hub ").append(i).append(": ").append(MeshView.describe(hubs.get(i)));
        }
        return sb.toString();
    }

    /** A client of hub i that announced in {@code network}. */
    public TestClient client(int hub, String network) {
        TestClient c = TestClient.connect(hubs.get(hub).getPort());
        clients.add(c);
        c.announce(network);
        return c;
    }

    /** Stops hub i (its links close with "Hub shutting down"). */
    public void kill(int i) {
        hubs.get(i).stop();
    }

    /** Starts hub i again on the same port with the same hub id and bootstrap list. */
    public void restart(int i) {
        int port = hubs.get(i).getPort();
        hubs.set(i, startHub(i, port));
    }

    @Override
    public void close() {
        for (TestClient c : clients) {
            c.close();
        }
        for (PeerPigeonServer h : hubs) {
            h.stop();
        }
        for (TcpProxy p : proxies.values()) {
            p.close();
        }
    }
}

package dev.peerpigeon.testkit;

import dev.peerpigeon.PeerPigeonServer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.function.UnaryOperator;

/**
 * A {@link HubCluster} per test, started before it (on port 0) and always closed after it:
 * <pre>
 * &#64;RegisterExtension HubClusterExtension hubs = HubClusterExtension.of("fault-mesh", 2, HubCluster.chain(2)).viaProxies();
 * ... hubs.cluster().link(0, 1).stall();
 * </pre>
 * Used by the JUnit thread that runs the test.
 */
public final class HubClusterExtension implements BeforeEachCallback, AfterEachCallback {
    private final String namespace;
    private final int size;
    private final int[][] edges;
    private UnaryOperator<PeerPigeonServer.Builder> customizer = b -> b;
    private boolean viaProxies;
    private HubCluster cluster;

    private HubClusterExtension(String namespace, int size, int[][] edges) {
        this.namespace = namespace;
        this.size = size;
        this.edges = edges;
    }

    public static HubClusterExtension of(String namespace, int size, int[][] edges) {
        return new HubClusterExtension(namespace, size, edges);
    }

    /** Builder settings applied to every hub on top of {@link HubCluster#testHub}. */
    public HubClusterExtension configure(UnaryOperator<PeerPigeonServer.Builder> settings) {
        this.customizer = settings;
        return this;
    }

    /** Every link through its own {@link TcpProxy} ({@link HubCluster#link}). */
    public HubClusterExtension viaProxies() {
        this.viaProxies = true;
        return this;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        HubCluster c = HubCluster.of(namespace, customizer);
        if (viaProxies) {
            c.viaProxies();
        }
        cluster = c;
        c.start(size, edges);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    public HubCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException("the cluster runs only while a test does");
        }
        return cluster;
    }
}

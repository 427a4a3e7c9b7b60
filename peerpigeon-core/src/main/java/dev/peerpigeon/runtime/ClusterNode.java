package dev.peerpigeon.runtime;

import dev.peerpigeon.PeerPigeonException.ConfigException;
import dev.peerpigeon.ServerConfig;
import dev.peerpigeon.cluster.RedisCluster;
import dev.peerpigeon.http.MetricsText;
import dev.peerpigeon.http.StatusDocuments;
import dev.peerpigeon.signaling.Federation;
import dev.peerpigeon.signaling.SignalingService;

/**
 * The run's cluster node ({@code REDIS_URL}): the one place {@link RedisCluster} is built, after checking that its
 * optional Redis client (Lettuce) is on the class path, so a server without cluster mode never loads it. The
 * cluster's name is the hub mesh namespace. Thread-safe as the cluster.
 */
final class ClusterNode {
    private final RedisCluster cluster;
    private volatile boolean stopped;

    private ClusterNode(RedisCluster cluster) {
        this.cluster = cluster;
    }

    static ClusterNode create(ServerConfig cfg, SignalingService signaling) {
        try {
            Class.forName("io.lettuce.core.RedisClient", false, ClusterNode.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new ConfigException("Cluster mode (redisUrl / REDIS_URL) needs io.lettuce:lettuce-core on the class"
                    + " path (the server jar includes it)");
        }
        return new ClusterNode(new RedisCluster(cfg.redisUrl(), cfg.hub().namespace(), signaling,
                cfg.limits().maxRemotePeers()));
    }

    Federation federation() {
        return cluster;
    }

    void start() {
        cluster.start();
    }

    /** Leaves the cluster (once). */
    void stop() {
        if (!stopped) {
            stopped = true;
            cluster.stop();
        }
    }

    /** Releases the cluster without telling the others (a run that never served; or after {@link #stop}). */
    void close() {
        stop();
    }

    /** The cluster's families for {@code /metrics}. */
    java.util.List<MetricsText.Family> metricFamilies() {
        RedisCluster.Status s = cluster.status();
        return java.util.List.of(
                gauge("peerpigeon_cluster_redis_up", "1 when this node's Redis answers, else 0", s.redisUp() ? 1 : 0),
                gauge("peerpigeon_cluster_nodes", "Live nodes of the cluster, this one included", s.nodes()),
                gauge("peerpigeon_cluster_remote_peers", "Peers of other cluster nodes in this node's replica",
                        cluster.remotePeerCount()),
                counter("peerpigeon_cluster_signals_published", "Signals published to other cluster nodes",
                        cluster.signalsSent()),
                counter("peerpigeon_cluster_dropped", "Cluster writes, events and signals dropped (Redis away, a full"
                        + " queue, or a target gone)", cluster.dropped()));
    }

    private static MetricsText.Family gauge(String name, String help, long value) {
        return new MetricsText.Family(name, MetricsText.Type.GAUGE, help,
                java.util.List.of(new MetricsText.Sample("", java.util.List.of(), value)));
    }

    private static MetricsText.Family counter(String name, String help, long value) {
        return new MetricsText.Family(name, MetricsText.Type.COUNTER, help,
                java.util.List.of(new MetricsText.Sample("_total", java.util.List.of(), value)));
    }

    StatusDocuments.Cluster status() {
        RedisCluster.Status s = cluster.status();
        return new StatusDocuments.Cluster(s.namespace(), s.nodes(), s.redisUp());
    }
}

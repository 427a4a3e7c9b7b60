package dev.peerpigeon.runtime;

import dev.peerpigeon.HubStats;
import dev.peerpigeon.PeerInfo;
import dev.peerpigeon.ServerConfig;
import dev.peerpigeon.ServerStats;
import dev.peerpigeon.federation.HubMesh;
import dev.peerpigeon.federation.MeshGraph;
import dev.peerpigeon.http.StatusDocuments;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.signaling.PeerRegistry;
import dev.peerpigeon.signaling.PeerSession;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Snapshots of one run (stats, hub stats, peers, memory) for the facade and the HTTP endpoints. Keeps no state
 * of its own beyond final references; every call reads the registry and mesh, whose own locks make it safe from
 * any thread. The session scans are O(connections), as the endpoints were before.
 */
public final class StatsCollector implements StatusDocuments.Snapshots {
    private final ServerConfig config;
    private final PeerRegistry registry;
    private final HubMesh mesh;           // null unless a hub
    private final ServerMetrics metrics;
    private volatile long startedAt;
    private volatile int port = -1;       // set once (with startedAt first) by ServerRuntime after the bind
    // Hub upgrades refused before the upgrade for another hub mesh namespace (UpgradeGate, any transport thread).
    private final java.util.concurrent.atomic.AtomicLong namespaceRefusals = new java.util.concurrent.atomic.AtomicLong();

    private volatile ClusterNode cluster; // null unless a cluster node

    /** Set once by ServerRuntime (before the port opens) on a cluster node. */
    void cluster(ClusterNode node) {
        this.cluster = node;
    }

    @Override
    public StatusDocuments.Cluster cluster() {
        ClusterNode c = cluster;
        return c == null ? null : c.status();
    }

    StatsCollector(ServerConfig config, PeerRegistry registry, HubMesh mesh, ServerMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.registry = registry;
        this.mesh = mesh;
    }

    void bound(int port, long startedAt) {
        this.startedAt = startedAt;
        this.port = port;
    }

    void countNamespaceRefusal() {
        namespaceRefusals.incrementAndGet();
    }

    /** Hub upgrades refused (HTTP 409) because the dialer is in another hub mesh namespace. */
    @Override
    public long namespaceRefusals() {
        return namespaceRefusals.get();
    }

    public ServerStats serverStats(boolean running) {
        int connections = 0;
        int peers = 0;
        int hubs = 0;
        for (PeerSession s : registry.sessions()) {
            connections++;
            if (s.isHub() && s.hubLink() == null) {
                hubs++; // a hub client on a plain server (its links are counted below)
            } else if (s.announced() && s.hubLink() == null) {
                peers++;
            }
        }
        int bootstrapTotal = 0;
        int bootstrapConnected = 0;
        if (mesh != null) {
            hubs += mesh.linkInfos().size();
            for (HubMesh.DialerInfo d : mesh.dialerInfos()) {
                bootstrapTotal++;
                bootstrapConnected += d.connected() ? 1 : 0;
            }
        }
        ServerConfig.Hub hub = config.hub();
        return new ServerStats(running, hub.enabled(), hub.id(), hub.namespace(), connections, peers, hubs,
                registry.networkCount(), bootstrapTotal, bootstrapConnected, config.limits().maxConnections(),
                running ? System.currentTimeMillis() - startedAt : 0, config.listen().host(), port);
    }

    public HubStats hubStats() {
        List<HubStats.Hub> hubs = new ArrayList<>();
        List<HubStats.Bootstrap> bootstrap = new ArrayList<>();
        for (PeerSession s : registry.sessions()) {
            if (s.isHub() && s.hubLink() == null) {
                hubs.add(new HubStats.Hub(s.peerId(), "peer", s.networkName(), s.networkName(), s.connectedAt(),
                        s.lastActivity(), s.announceData()));
            }
        }
        int remote = 0;
        if (mesh != null) {
            String ns = config.hub().namespace();
            for (HubMesh.LinkInfo l : mesh.linkInfos()) {
                hubs.add(new HubStats.Hub(l.hubId(), l.direction(), ns, ns, l.connectedAt(), l.lastActivity(),
                        l.data() == null ? "{\"uri\":" + MessageCodec.quote(String.valueOf(l.uri())) + "}" : l.data()));
            }
            for (HubMesh.DialerInfo d : mesh.dialerInfos()) {
                bootstrap.add(new HubStats.Bootstrap(d.uri(), d.connected(), d.lastAttempt(), d.attemptNumber(),
                        d.nextAttemptAt(), d.remoteHubId(), d.abandoned()));
            }
            remote = mesh.remotePeerCount();
        }
        return new HubStats(hubs.size(), hubs.size(), hubs, bootstrap, remote, namespaceRefusals.get());
    }

    /** Announced local peers per network (no ids), for {@code /status}. */
    @Override
    public Map<String, Integer> networkCounts() {
        Map<String, Integer> out = new java.util.TreeMap<>();
        for (PeerSession s : registry.sessions()) {
            if (s.announced() && !s.isHub() && s.hubLink() == null && s.networkName() != null) {
                out.merge(s.networkName(), 1, Integer::sum);
            }
        }
        return out;
    }

    @Override
    public dev.peerpigeon.MeshStatus meshStatus() {
        if (mesh == null) {
            return new dev.peerpigeon.MeshStatus(null, List.of(), List.of());
        }
        MeshGraph.Snapshot snap = mesh.snapshot();
        int local = 0;
        for (int n : networkCounts().values()) {
            local += n;
        }
        List<dev.peerpigeon.MeshStatus.Hub> hubs = new ArrayList<>();
        String self = mesh.hubId();
        hubs.add(new dev.peerpigeon.MeshStatus.Hub(self, 0, local));
        snap.hops().forEach((id, hops) -> {
            if (!id.equals(self)) {
                hubs.add(new dev.peerpigeon.MeshStatus.Hub(id, hops, snap.remotePeers().getOrDefault(id, 0)));
            }
        });
        List<dev.peerpigeon.MeshStatus.Link> links = new ArrayList<>();
        for (List<String> e : snap.links()) {
            links.add(new dev.peerpigeon.MeshStatus.Link(e.get(0), e.get(1)));
        }
        return new dev.peerpigeon.MeshStatus(self, List.copyOf(hubs), List.copyOf(links));
    }

    @Override
    public long startedAtMillis() {
        return startedAt;
    }

    public List<PeerInfo> peers() {
        List<PeerInfo> out = new ArrayList<>();
        for (PeerSession s : registry.sessions()) {
            var addr = s.connection().remoteAddress();
            out.add(new PeerInfo(s.peerId(), s.connectedAt(), s.lastActivity(), addr == null ? null : addr.toString(),
                    s.connection().isOpen(), s.announced(), s.announcedAt(), s.networkName(), s.announceData(),
                    s.isHub()));
        }
        return out;
    }

    @Override
    public ServerStats server() {
        return serverStats(port > 0);
    }

    @Override
    public HubStats hubs() {
        return hubStats();
    }

    @Override
    public Map<String, Long> refusedLinkFrames() {
        return mesh == null ? null : mesh.refusalCounts();
    }

    /** The counters of this run (always counted; {@code /metrics} may still be switched off). */
    public ServerMetrics meters() {
        return metrics;
    }

    /** The gauges, from one scan of the sessions (O(connections), like /stats). */
    public ServerMetrics.Gauges gauges() {
        long connections = 0;
        long peers = 0;
        long hubs = 0;
        long queued = 0;
        for (PeerSession s : registry.sessions()) {
            connections++;
            queued += s.connection().queuedBytes();
            if (s.isHub() && s.hubLink() == null) {
                hubs++;
            } else if (s.announced() && s.hubLink() == null) {
                peers++;
            }
        }
        long remote = 0;
        if (mesh != null) {
            hubs += mesh.linkInfos().size();
            remote = mesh.remotePeerCount();
        }
        return new ServerMetrics.Gauges(connections, peers, registry.networkCount(), hubs, remote, queued);
    }

    @Override
    public List<dev.peerpigeon.http.MetricsText.Family> metrics() {
        if (!config.metrics()) {
            return null;
        }
        List<dev.peerpigeon.http.MetricsText.Family> families = metrics.families(gauges());
        ClusterNode c = cluster;
        if (c != null) {
            families = new ArrayList<>(families);
            families.addAll(c.metricFamilies());
        }
        return families;
    }

    @Override
    public double processUptimeSeconds() {
        return ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
    }

    @Override
    public StatusDocuments.Memory memory() {
        Runtime rt = Runtime.getRuntime();
        long direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            direct += Math.max(0, pool.getMemoryUsed());
        }
        return new StatusDocuments.Memory(residentSetBytes(), rt.totalMemory(), rt.totalMemory() - rt.freeMemory(),
                ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage().getUsed(), direct);
    }

    /** Resident set size from /proc (Linux), else the committed heap. */
    static long residentSetBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return Runtime.getRuntime().totalMemory();
    }
}

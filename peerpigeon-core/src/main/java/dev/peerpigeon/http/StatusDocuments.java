package dev.peerpigeon.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.HubStats;
import dev.peerpigeon.ServerStats;

import java.time.Instant;
import java.util.Map;

/**
 * The JSON documents of the HTTP endpoints (PROTOCOL.md section 7), as pure functions of snapshots: the same
 * snapshots and clock give the same text. Stateless.
 */
public final class StatusDocuments {
    private StatusDocuments() {
    }

    /** Process memory, in bytes, as the reference reports it ({@code process.memoryUsage()}). */
    public record Memory(long rss, long heapTotal, long heapUsed, long external, long arrayBuffers) {
    }

    /** What the endpoints read: implemented by the runtime, called on transport threads. */
    public interface Snapshots {
        ServerStats server();

        HubStats hubs();

        Memory memory();

        /** Refused hub-link frames by reason; null on a plain server. */
        Map<String, Long> refusedLinkFrames();

        /** Seconds since the JVM started. */
        double processUptimeSeconds();

        /** The metric families for {@code /metrics}, or null when metrics are switched off (404). */
        default java.util.List<MetricsText.Family> metrics() {
            return null;
        }

        /** Announced local peers per network, for {@code /status}. */
        default Map<String, Integer> networkCounts() {
            return Map.of();
        }

        /** The hub mesh as this hub knows it, for {@code /status}. */
        default dev.peerpigeon.MeshStatus meshStatus() {
            return new dev.peerpigeon.MeshStatus(null, java.util.List.of(), java.util.List.of());
        }

        /** The cluster this node belongs to ({@code /health}), or null when not in cluster mode. */
        default Cluster cluster() {
            return null;
        }

        /** When this server started (epoch ms). */
        default long startedAtMillis() {
            return 0;
        }

        /** Hub upgrades refused because the dialer is in another namespace. */
        default long namespaceRefusals() {
            return 0;
        }
    }

    /**
     * {@code /status.json}, what the {@code /status} page draws: namespace, id, uptime, peers per network (no ids),
     * the mesh graph (hubs with peer counts, links as sorted id pairs) and the namespace refusal count.
     */
    public static JsonObject status(ServerStats st, Map<String, Integer> networks, dev.peerpigeon.MeshStatus mesh,
                                    long startedAtMillis, long namespaceRefusals, long nowMillis) {
        JsonObject o = new JsonObject();
        o.addProperty("namespace", st.hubMeshNamespace());
        o.addProperty("hubId", st.hubPeerId());
        o.addProperty("isHub", st.isHub());
        o.addProperty("uptimeSeconds", startedAtMillis <= 0 ? 0 : Math.max(0, (nowMillis - startedAtMillis) / 1000));
        o.addProperty("connections", st.connections());
        o.addProperty("peers", st.peers());
        JsonObject nets = new JsonObject();
        networks.forEach(nets::addProperty);
        o.add("networks", nets);
        JsonArray hubs = new JsonArray();
        for (dev.peerpigeon.MeshStatus.Hub h : mesh.hubs()) {
            JsonObject j = new JsonObject();
            j.addProperty("id", h.id());
            j.addProperty("hops", h.hops());
            j.addProperty("peers", h.peers());
            hubs.add(j);
        }
        o.add("hubs", hubs);
        JsonArray links = new JsonArray();
        for (dev.peerpigeon.MeshStatus.Link l : mesh.links()) {
            JsonArray pair = new JsonArray();
            pair.add(l.a());
            pair.add(l.b());
            links.add(pair);
        }
        o.add("links", links);
        JsonObject refusals = new JsonObject();
        refusals.addProperty("namespace", namespaceRefusals);
        o.add("refusals", refusals);
        o.addProperty("timestamp", Instant.ofEpochMilli(nowMillis).toString());
        return o;
    }

    /** A cluster node's view of its cluster: its name (the namespace), live nodes, whether Redis answers. */
    public record Cluster(String namespace, int nodes, boolean redisUp) {
    }

    /** {@code /health}. */
    public static JsonObject health(ServerStats st, Memory memory, double uptimeSeconds, long nowMillis, Cluster cluster) {
        JsonObject o = new JsonObject();
        o.addProperty("status", "healthy");
        o.addProperty("timestamp", Instant.ofEpochMilli(nowMillis).toString());
        o.addProperty("uptime", uptimeSeconds);
        o.addProperty("isHub", st.isHub());
        o.addProperty("connections", st.connections());
        o.addProperty("peers", st.peers());
        o.addProperty("hubs", st.hubs());
        o.addProperty("networks", st.networks());
        JsonObject m = new JsonObject();
        m.addProperty("rss", memory.rss());
        m.addProperty("heapTotal", memory.heapTotal());
        m.addProperty("heapUsed", memory.heapUsed());
        m.addProperty("external", memory.external());
        m.addProperty("arrayBuffers", memory.arrayBuffers());
        o.add("memory", m);
        if (cluster != null) {
            JsonObject c = new JsonObject();
            c.addProperty("namespace", cluster.namespace());
            c.addProperty("nodes", cluster.nodes());
            c.addProperty("redis", cluster.redisUp() ? "up" : "down");
            o.add("cluster", c);
        }
        return o;
    }

    /** {@code /hubs}. */
    public static JsonObject hubs(HubStats hs, long nowMillis) {
        JsonObject o = new JsonObject();
        o.addProperty("timestamp", Instant.ofEpochMilli(nowMillis).toString());
        o.addProperty("totalHubs", hs.totalHubs());
        o.add("hubs", hubList(hs, nowMillis));
        return o;
    }

    /** {@code /stats}. */
    public static JsonObject stats(ServerStats st) {
        JsonObject o = new JsonObject();
        o.addProperty("isRunning", st.isRunning());
        o.addProperty("isHub", st.isHub());
        o.addProperty("hubPeerId", st.hubPeerId());
        o.addProperty("hubMeshNamespace", st.hubMeshNamespace());
        o.addProperty("connections", st.connections());
        o.addProperty("peers", st.peers());
        o.addProperty("hubs", st.hubs());
        o.addProperty("networks", st.networks());
        JsonObject b = new JsonObject();
        b.addProperty("total", st.bootstrapTotal());
        b.addProperty("connected", st.bootstrapConnected());
        o.add("bootstrapHubs", b);
        o.addProperty("maxConnections", st.maxConnections());
        o.addProperty("uptime", st.uptimeMillis());
        o.addProperty("host", st.host());
        o.addProperty("port", st.port());
        return o;
    }

    /** {@code /hubstats}; {@code refused} null on a plain server (the field is then absent). */
    public static JsonObject hubStats(HubStats hs, Map<String, Long> refused, long nowMillis) {
        JsonObject o = new JsonObject();
        o.addProperty("totalHubs", hs.totalHubs());
        o.addProperty("connectedHubs", hs.connectedHubs());
        o.add("hubs", hubList(hs, nowMillis));
        JsonArray arr = new JsonArray();
        for (HubStats.Bootstrap bs : hs.bootstrapHubs()) {
            JsonObject j = new JsonObject();
            j.addProperty("uri", bs.uri().toString());
            j.addProperty("connected", bs.connected());
            j.addProperty("lastAttempt", bs.lastAttempt());
            j.addProperty("attemptNumber", bs.attemptNumber());
            j.addProperty("nextAttemptAt", bs.nextAttemptAt());
            j.addProperty("remoteHubId", bs.remoteHubId());
            j.addProperty("abandoned", bs.abandoned());
            arr.add(j);
        }
        o.add("bootstrapHubs", arr);
        o.addProperty("remotePeers", hs.remotePeers());
        if (refused != null) {
            JsonObject r = new JsonObject();
            refused.forEach(r::addProperty);
            o.add("refusedLinkFrames", r);
        }
        return o;
    }

    private static JsonArray hubList(HubStats hs, long nowMillis) {
        JsonArray arr = new JsonArray();
        for (HubStats.Hub h : hs.hubs()) {
            JsonObject j = new JsonObject();
            j.addProperty("peerId", h.peerId());
            j.addProperty("registeredAt", h.connectedAt());
            j.addProperty("lastActivity", h.lastActivity());
            j.addProperty("networkName", h.networkName());
            j.add("data", parseOrEmpty(h.data()));
            j.addProperty("connectedAt", h.connectedAt());
            j.addProperty("direction", h.direction());
            j.addProperty("namespace", h.namespace());
            j.addProperty("uptime", nowMillis - h.connectedAt());
            arr.add(j);
        }
        return arr;
    }

    private static JsonElement parseOrEmpty(String json) {
        try {
            return JsonParser.parseString(json == null ? "{}" : json);
        } catch (RuntimeException e) {
            return new JsonObject();
        }
    }
}

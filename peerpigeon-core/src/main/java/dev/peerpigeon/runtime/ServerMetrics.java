package dev.peerpigeon.runtime;

import dev.peerpigeon.http.MetricsText;
import dev.peerpigeon.http.MetricsText.Family;
import dev.peerpigeon.http.MetricsText.Sample;
import dev.peerpigeon.support.Meters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The registry of one run's counters and its latency histogram: fixed arrays of {@link LongAdder}s indexed by
 * label value, so counting is lock-free and O(1); gauges are read from the registry and mesh at scrape time.
 *
 * <p>Threads: any thread counts (adders); any thread reads (scrapes see each adder's current sum, not one atomic
 * cut across them, which Prometheus tolerates).
 */
public final class ServerMetrics implements Meters {
    /** Upper bounds of the latency histogram buckets, in seconds (50 µs to 1 s). */
    static final double[] BUCKETS = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 0.5, 1.0};
    private static final long[] BUCKET_NANOS = new long[BUCKETS.length];

    static {
        for (int i = 0; i < BUCKETS.length; i++) {
            BUCKET_NANOS[i] = Math.round(BUCKETS[i] * 1e9);
        }
    }

    private final LongAdder[] received = adders(MESSAGE_TYPES.length);
    private final LongAdder[] relayed = adders(MESSAGE_TYPES.length);
    private final LongAdder errorsSent = new LongAdder();
    private final LongAdder[] refusals = adders(Refusal.values().length);
    private final LongAdder slowDropped = new LongAdder();
    private final LongAdder[] linkEvents = adders(LinkEvent.values().length);
    /** Per bucket (not cumulative; the last one is +Inf), summed when rendered. */
    private final LongAdder[] latency = adders(BUCKETS.length + 1);
    private final LongAdder latencyNanos = new LongAdder();

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    @Override
    public void received(String type) {
        received[Meters.typeIndex(type)].increment();
    }

    @Override
    public void relayed(String type, long nanos) {
        relayed[Meters.typeIndex(type)].increment();
        int b = 0;
        while (b < BUCKET_NANOS.length && nanos > BUCKET_NANOS[b]) {
            b++;
        }
        latency[b].increment();
        latencyNanos.add(Math.max(0, nanos));
    }

    @Override
    public void errorSent() {
        errorsSent.increment();
    }

    @Override
    public void refused(Refusal reason) {
        refusals[reason.ordinal()].increment();
    }

    @Override
    public void slowConsumerDropped() {
        slowDropped.increment();
    }

    @Override
    public void linkEvent(LinkEvent event) {
        linkEvents[event.ordinal()].increment();
    }

    /** Counts hub link events on their way to {@code delegate} (the public listeners). */
    dev.peerpigeon.federation.MeshObserver countingLinks(dev.peerpigeon.federation.MeshObserver delegate) {
        return new dev.peerpigeon.federation.MeshObserver() {
            @Override
            public void hubRegistered(String hubId, int totalHubs) {
                linkEvent(LinkEvent.REGISTERED);
                delegate.hubRegistered(hubId, totalHubs);
            }

            @Override
            public void hubUnregistered(String hubId, int totalHubs) {
                linkEvent(LinkEvent.UNREGISTERED);
                delegate.hubUnregistered(hubId, totalHubs);
            }

            @Override
            public void bootstrapConnected(java.net.URI uri) {
                linkEvent(LinkEvent.BOOTSTRAP_CONNECTED);
                delegate.bootstrapConnected(uri);
            }

            @Override
            public void bootstrapDisconnected(java.net.URI uri, int code, String reason) {
                linkEvent(LinkEvent.BOOTSTRAP_DISCONNECTED);
                delegate.bootstrapDisconnected(uri, code, reason);
            }

            @Override
            public void hubDiscovered(String hubId, String via, String data) {
                delegate.hubDiscovered(hubId, via, data);
            }

            @Override
            public void bootstrapAbandoned(java.net.URI uri, int attempts) {
                linkEvent(LinkEvent.BOOTSTRAP_ABANDONED);
                delegate.bootstrapAbandoned(uri, attempts);
            }
        };
    }

    public long receivedCount(String type) {
        return received[Meters.typeIndex(type)].sum();
    }

    public long relayedCount(String type) {
        return relayed[Meters.typeIndex(type)].sum();
    }

    public long errorsSentCount() {
        return errorsSent.sum();
    }

    public long refusalCount(Refusal reason) {
        return refusals[reason.ordinal()].sum();
    }

    public long slowConsumersDroppedCount() {
        return slowDropped.sum();
    }

    public long linkEventCount(LinkEvent event) {
        return linkEvents[event.ordinal()].sum();
    }

    /** Relays timed so far (the histogram's count). */
    public long relayLatencyCount() {
        long n = 0;
        for (LongAdder a : latency) {
            n += a.sum();
        }
        return n;
    }

    public double relayLatencySumSeconds() {
        return latencyNanos.sum() / 1e9;
    }

    /** The gauges, read at scrape time. */
    public record Gauges(long connections, long peers, long networks, long hubLinks, long remotePeers,
                         long sendQueueBytes) {
    }

    /** The public snapshot (see {@link dev.peerpigeon.MetricsSnapshot}). */
    public dev.peerpigeon.MetricsSnapshot snapshot(Gauges g) {
        java.util.Map<String, Long> rec = new java.util.LinkedHashMap<>();
        java.util.Map<String, Long> rel = new java.util.LinkedHashMap<>();
        for (int i = 0; i < MESSAGE_TYPES.length; i++) {
            rec.put(MESSAGE_TYPES[i], received[i].sum());
            rel.put(MESSAGE_TYPES[i], relayed[i].sum());
        }
        java.util.Map<String, Long> ref = new java.util.LinkedHashMap<>();
        for (Refusal r : Refusal.values()) {
            ref.put(r.label(), refusals[r.ordinal()].sum());
        }
        java.util.Map<String, Long> ev = new java.util.LinkedHashMap<>();
        for (LinkEvent e : LinkEvent.values()) {
            ev.put(e.label(), linkEvents[e.ordinal()].sum());
        }
        java.util.Map<Double, Long> buckets = new java.util.TreeMap<>();
        long cumulative = 0;
        for (int i = 0; i <= BUCKETS.length; i++) {
            cumulative += latency[i].sum();
            buckets.put(i < BUCKETS.length ? BUCKETS[i] : Double.POSITIVE_INFINITY, cumulative);
        }
        return new dev.peerpigeon.MetricsSnapshot(g.connections(), g.peers(), g.networks(), g.hubLinks(),
                g.remotePeers(), g.sendQueueBytes(), rec, rel, errorsSent.sum(), ref, slowDropped.sum(), ev, buckets,
                cumulative, latencyNanos.sum() / 1e9);
    }

    /** Every family, gauges first, for {@link MetricsText#render}. */
    public List<Family> families(Gauges g) {
        List<Family> out = new ArrayList<>();
        out.add(gauge("peerpigeon_connections", "Open WebSocket connections (peers and hub links)", g.connections()));
        out.add(gauge("peerpigeon_peers", "Announced local peers (not hubs)", g.peers()));
        out.add(gauge("peerpigeon_networks", "Networks with at least one local peer", g.networks()));
        out.add(gauge("peerpigeon_hub_links", "Hubs linked to this one (links and hub clients)", g.hubLinks()));
        out.add(gauge("peerpigeon_remote_peers", "Peers known on other hubs of the mesh", g.remotePeers()));
        out.add(gauge("peerpigeon_send_queue_bytes", "Bytes queued to send, summed over connections",
                g.sendQueueBytes()));
        out.add(byType("peerpigeon_messages_received", "Client messages received, by type", received));
        out.add(byType("peerpigeon_messages_relayed", "Client signals handed on to their target, by type", relayed));
        out.add(new Family("peerpigeon_errors_sent", MetricsText.Type.COUNTER, "Error replies sent to clients",
                List.of(new Sample("_total", List.of(), errorsSent.sum()))));
        List<Sample> r = new ArrayList<>();
        for (Refusal reason : Refusal.values()) {
            r.add(new Sample("_total", List.of("reason", reason.label()), refusals[reason.ordinal()].sum()));
        }
        out.add(new Family("peerpigeon_refusals", MetricsText.Type.COUNTER, "Upgrades and connections refused, by reason", r));
        out.add(new Family("peerpigeon_slow_consumers_dropped", MetricsText.Type.COUNTER,
                "Connections dropped because they did not read their send queue",
                List.of(new Sample("_total", List.of(), slowDropped.sum()))));
        List<Sample> e = new ArrayList<>();
        for (LinkEvent event : LinkEvent.values()) {
            e.add(new Sample("_total", List.of("event", event.label()), linkEvents[event.ordinal()].sum()));
        }
        out.add(new Family("peerpigeon_hub_link_events", MetricsText.Type.COUNTER, "Hub link events, by event", e));
        List<Sample> h = new ArrayList<>();
        long cumulative = 0;
        for (int i = 0; i <= BUCKETS.length; i++) {
            cumulative += latency[i].sum();
            h.add(new Sample("_bucket", List.of("le", i < BUCKETS.length ? MetricsText.number(BUCKETS[i]) : "+Inf"),
                    cumulative));
        }
        h.add(new Sample("_sum", List.of(), latencyNanos.sum() / 1e9));
        h.add(new Sample("_count", List.of(), cumulative));
        out.add(new Family("peerpigeon_relay_latency_seconds", MetricsText.Type.HISTOGRAM,
                "From reading a signal's frame to handing it to the receiver's write path", h));
        return out;
    }

    private static Family gauge(String name, String help, long value) {
        return new Family(name, MetricsText.Type.GAUGE, help, List.of(new Sample("", List.of(), value)));
    }

    private static Family byType(String name, String help, LongAdder[] counts) {
        List<Sample> s = new ArrayList<>();
        for (int i = 0; i < MESSAGE_TYPES.length; i++) {
            s.add(new Sample("_total", List.of("type", MESSAGE_TYPES[i]), counts[i].sum()));
        }
        return new Family(name, MetricsText.Type.COUNTER, help, s);
    }
}

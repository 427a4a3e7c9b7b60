package dev.peerpigeon.micrometer;

import dev.peerpigeon.MetricsSnapshot;
import dev.peerpigeon.PeerPigeonServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;


import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Binds a server's meters (the same as {@code GET /metrics}, see {@link MetricsSnapshot}) to an application's
 * Micrometer registry: gauges {@code peerpigeon.connections} ..., function counters
 * {@code peerpigeon.messages.received{type}} ..., and the relay latency as a function timer
 * {@code peerpigeon.relay.latency} (count and total; the buckets stay on {@code /metrics}). Micrometer is an optional
 * dependency of peerpigeon-core: only an application that uses this class needs it.
 *
 * <pre>{@code new PeerPigeonMeterBinder(server).bindTo(registry);}</pre>
 *
 * <p>Lifetime: Micrometer holds a function meter's state object weakly, so the meters are bound to the
 * {@code server} (which the application keeps) and not to this binder (which it usually drops after
 * {@code bindTo}); when the server is collected the meters read NaN, as Micrometer intends.
 *
 * <p>Threads: the registry reads the meters on its own threads; one snapshot is shared by the reads of one scrape
 * (it is reused for {@value #SNAPSHOT_MILLIS} ms), the only state here, published through a volatile field.
 */
public final class PeerPigeonMeterBinder implements MeterBinder {
    static final long SNAPSHOT_MILLIS = 500;

    private final PeerPigeonServer server;
    private volatile Cached cached;

    private record Cached(long at, MetricsSnapshot snapshot) {
    }

    public PeerPigeonMeterBinder(PeerPigeonServer server) {
        this.server = java.util.Objects.requireNonNull(server, "server");
    }

    /** One snapshot per scrape rather than one per meter (gauges scan the connections). */
    private MetricsSnapshot snapshot() {
        long now = System.nanoTime();
        Cached c = cached;
        if (c == null || now - c.at() > TimeUnit.MILLISECONDS.toNanos(SNAPSHOT_MILLIS)) {
            c = new Cached(now, server.getMetrics());
            cached = c;
        }
        return c.snapshot();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(registry, "peerpigeon.connections", "Open WebSocket connections (peers and hub links)", null,
                MetricsSnapshot::connections);
        gauge(registry, "peerpigeon.peers", "Announced local peers (not hubs)", null, MetricsSnapshot::peers);
        gauge(registry, "peerpigeon.networks", "Networks with at least one local peer", null, MetricsSnapshot::networks);
        gauge(registry, "peerpigeon.hub.links", "Hubs linked to this one", null, MetricsSnapshot::hubLinks);
        gauge(registry, "peerpigeon.remote.peers", "Peers known on other hubs of the mesh", null,
                MetricsSnapshot::remotePeers);
        gauge(registry, "peerpigeon.send.queue", "Bytes queued to send, summed over connections", "bytes",
                MetricsSnapshot::sendQueueBytes);
        for (String type : snapshot().messagesReceived().keySet()) { // the fixed label sets, from the server
            counter(registry, "peerpigeon.messages.received", "Client messages received, by type", "type", type,
                    s -> s.messagesReceived().get(type));
            counter(registry, "peerpigeon.messages.relayed", "Client signals handed on to their target, by type",
                    "type", type, s -> s.messagesRelayed().get(type));
        }
        counter(registry, "peerpigeon.errors.sent", "Error replies sent to clients", null, null, MetricsSnapshot::errorsSent);
        for (String reason : snapshot().refusals().keySet()) {
            counter(registry, "peerpigeon.refusals", "Upgrades and connections refused, by reason", "reason", reason,
                    s -> s.refusals().get(reason));
        }
        counter(registry, "peerpigeon.slow.consumers.dropped", "Connections dropped because they did not read",
                null, null, MetricsSnapshot::slowConsumersDropped);
        for (String event : snapshot().hubLinkEvents().keySet()) {
            counter(registry, "peerpigeon.hub.link.events", "Hub link events, by event", "event", event,
                    s -> s.hubLinkEvents().get(event));
        }
        FunctionTimer.builder("peerpigeon.relay.latency", server, s -> snapshot().relayLatencyCount(),
                        s -> snapshot().relayLatencySumSeconds(), TimeUnit.SECONDS)
                .description("From reading a signal's frame to handing it to the receiver's write path")
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String help, String unit,
                       ToDoubleFunction<MetricsSnapshot> value) {
        Gauge.builder(name, server, s -> value.applyAsDouble(snapshot())).description(help).baseUnit(unit)
                .register(registry);
    }

    private void counter(MeterRegistry registry, String name, String help, String tag, String tagValue,
                         Function<MetricsSnapshot, Long> value) {
        FunctionCounter.Builder<PeerPigeonServer> b = FunctionCounter.builder(name, server, s -> {
            Long v = value.apply(snapshot());
            return v == null ? 0 : v;
        }).description(help);
        if (tag != null) {
            b.tag(tag, tagValue);
        }
        b.register(registry);
    }

}

package dev.peerpigeon.runtime;

import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.signaling.PeerRegistry;
import dev.peerpigeon.signaling.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fast, safe takeover of a silent peer's id. An upgrade that asks for an id whose socket is still open is held by
 * the transport ({@link dev.peerpigeon.transport.TransportHandler#holdUpgrade}, no thread blocked) while the old
 * socket is probed with a WebSocket ping: any pong or frame from it within {@link #holdMillis} means it is alive,
 * and the held upgrade is then refused by the {@link UpgradeGate} (409) as before; no answer means it is gone (a
 * Wi-Fi drop, a closed lid): it is dropped (its departure announced once, by the usual close path) and the held
 * upgrade is accepted. A live peer is never evicted this way. One probe per id, whatever the number of upgrades
 * asking for it; the transport bounds the held upgrades.
 *
 * <p>Threads: {@link #hold} on transport worker threads; the checks on one daemon thread of its own
 * ({@code peerpigeon-takeover-<port>}); its state is the concurrent map of running probes.
 */
final class TakeoverProbes {
    private static final Logger log = LoggerFactory.getLogger(TakeoverProbes.class);
    /** The longest a new connection waits for the verdict on the old one. */
    static final long HOLD_MILLIS = 1_500;
    private static final long CHECK_MILLIS = 50;

    private final PeerRegistry registry;
    private final long holdMillis;
    private final ScheduledExecutorService thread;
    private final ConcurrentHashMap<String, Probe> probes = new ConcurrentHashMap<>();

    /** {@code handshakeMillis}: a held request must be answered well within the handshake timeout. */
    TakeoverProbes(PeerRegistry registry, long handshakeMillis, int port) {
        this.registry = registry;
        this.holdMillis = Math.max(CHECK_MILLIS, Math.min(HOLD_MILLIS, handshakeMillis / 2));
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "peerpigeon-takeover-" + port);
            t.setDaemon(true);
            return t;
        });
    }

    /** Worker thread: a stage that completes once the holder of the requested id is known alive or gone, or null. */
    CompletionStage<?> hold(RequestHead head) {
        String peerId = head.queryParam("peerId");
        if (!PeerId.isValid(peerId)) {
            return null;
        }
        PeerSession old = registry.get(peerId);
        if (old == null || old.isClosed() || !old.connection().isOpen()) {
            return null;
        }
        try {
            return probes.computeIfAbsent(peerId, id -> new Probe(id, old)).done;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return null; // stopping
        }
    }

    void stop() {
        thread.shutdownNow();
        for (Probe p : probes.values()) {
            p.done.complete(null); // held upgrades resume (and are answered by a server that is going away)
        }
    }

    /** One probe of the socket holding {@code peerId}: final fields, and the handle of its checks. */
    private final class Probe {
        final String peerId;
        final PeerSession old;
        final long startedAt = System.currentTimeMillis();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private volatile ScheduledFuture<?> checks;

        Probe(String peerId, PeerSession old) {
            this.peerId = peerId;
            this.old = old;
            old.connection().sendPing();
            this.checks = thread.scheduleWithFixedDelay(this::check, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
        }

        /** Probe thread. */
        private void check() {
            try {
                if (old.lastActivity() >= startedAt || old.isClosed() || !old.connection().isOpen()) {
                    finish(); // alive (the gate refuses the newcomer), or gone already
                } else if (System.currentTimeMillis() - startedAt >= holdMillis) {
                    log.info("Closing {}: a new connection asks for its id and it did not answer a ping within {} ms",
                            old, holdMillis);
                    old.connection().abort(1006, "Replaced by a new connection (no answer to a ping)");
                    finish();
                }
            } catch (RuntimeException e) {
                log.error("Takeover probe failed", e);
                finish();
            }
        }

        private void finish() {
            ScheduledFuture<?> c = checks;
            if (c != null) {
                c.cancel(false);
            }
            probes.remove(peerId, this);
            done.complete(null);
        }
    }
}

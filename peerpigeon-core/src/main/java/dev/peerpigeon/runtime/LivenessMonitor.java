package dev.peerpigeon.runtime;

import dev.peerpigeon.signaling.IpLimiter;
import dev.peerpigeon.signaling.PeerRegistry;
import dev.peerpigeon.signaling.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Pings every connection and closes the ones silent for longer than the peer timeout; sweeps the per-IP rate
 * buckets. Owns one daemon thread ({@code peerpigeon-maintenance-<port>}); it keeps no state of its own (sessions
 * record their last activity).
 */
final class LivenessMonitor {
    private static final Logger log = LoggerFactory.getLogger(LivenessMonitor.class);

    private final PeerRegistry registry;
    private final IpLimiter ipLimiter;
    private final long timeoutMillis;
    private final ScheduledExecutorService thread;

    LivenessMonitor(PeerRegistry registry, IpLimiter ipLimiter, long timeoutMillis, long pingMillis, int port) {
        this.registry = registry;
        this.ipLimiter = ipLimiter;
        this.timeoutMillis = timeoutMillis;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "peerpigeon-maintenance-" + port);
            t.setDaemon(true);
            return t;
        });
        long period = Math.min(pingMillis, timeoutMillis);
        thread.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    void stop() {
        thread.shutdownNow();
    }

    private void check() {
        try {
            ipLimiter.sweep();
            long now = System.currentTimeMillis();
            for (PeerSession s : registry.sessions()) {
                long silent = now - s.lastActivity();
                if (silent > 2 * timeoutMillis) {
                    s.connection().abort(1006, "Peer timeout"); // it did not even complete the close handshake
                } else if (silent > timeoutMillis) {
                    log.info("Closing {}: silent for {} ms (peerTimeout {} ms)", s, silent, timeoutMillis);
                    s.connection().close(1001, "Peer timeout");
                } else {
                    s.connection().sendPing();
                }
            }
        } catch (RuntimeException e) {
            log.error("Liveness check failed", e);
        }
    }
}

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
 * Pings every connection every ping interval and drops the ones that stop answering: a connection silent (no pong,
 * no frame) for longer than its ping deadline ({@link dev.peerpigeon.ServerConfig.Liveness#pingDeadline}: with the
 * defaults 2 missed 5 s pings, 11 s) is dropped at once, 1006 "Peer timeout" (a close handshake with a peer that
 * answers nothing would only wait); under a shorter configured peer timeout a silent connection is first closed
 * 1001 and dropped at twice it. Checks run every second (or every interval when shorter), so a ghost is unlisted
 * within deadline + 1 s. Sweeps the per-IP rate buckets at the ping cadence. Owns one daemon thread
 * ({@code peerpigeon-maintenance-<port>}), whose only state is the time of the last ping round; sessions record
 * their last activity.
 */
final class LivenessMonitor {
    private static final Logger log = LoggerFactory.getLogger(LivenessMonitor.class);
    private static final long MAX_CHECK_MILLIS = 1_000;

    private final PeerRegistry registry;
    private final IpLimiter ipLimiter;
    private final long timeoutMillis;
    private final long pingMillis;
    private final long deadlineMillis;
    private final long period;
    private final ScheduledExecutorService thread;
    private final dev.peerpigeon.support.LogThrottle dropLog = dev.peerpigeon.support.LogThrottle.perSecond();
    private long lastPingRound; // maintenance thread only

    LivenessMonitor(PeerRegistry registry, IpLimiter ipLimiter, long timeoutMillis, long pingMillis,
                    long deadlineMillis, int port) {
        this.registry = registry;
        this.ipLimiter = ipLimiter;
        this.timeoutMillis = timeoutMillis;
        this.pingMillis = pingMillis;
        this.deadlineMillis = deadlineMillis;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "peerpigeon-maintenance-" + port);
            t.setDaemon(true);
            return t;
        });
        period = Math.max(1, Math.min(MAX_CHECK_MILLIS, Math.min(pingMillis, timeoutMillis)));
        thread.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    void stop() {
        thread.shutdownNow();
    }

    private void check() {
        try {
            long now = System.currentTimeMillis();
            boolean pingRound = now - lastPingRound >= pingMillis - period / 2;
            if (pingRound) {
                lastPingRound = now;
                ipLimiter.sweep();
            }
            for (PeerSession s : registry.sessions()) {
                long silent = now - s.lastActivity();
                if (silent > deadlineMillis || silent > 2 * timeoutMillis) {
                    int suppressed = dropLog.tryAcquire(); // a network outage drops many at once: one line a second
                    if (suppressed >= 0) {
                        log.info("Dropping {}: no answer for {} ms (ping every {} ms){}", s, silent, pingMillis,
                                dev.peerpigeon.support.LogThrottle.suffix(suppressed));
                    }
                    s.connection().abort(1006, "Peer timeout");
                } else if (silent > timeoutMillis) {
                    log.info("Closing {}: silent for {} ms (peerTimeout {} ms)", s, silent, timeoutMillis);
                    s.connection().close(1001, "Peer timeout");
                } else if (pingRound) {
                    s.connection().sendPing();
                }
            }
        } catch (RuntimeException e) {
            log.error("Liveness check failed", e);
        }
    }
}

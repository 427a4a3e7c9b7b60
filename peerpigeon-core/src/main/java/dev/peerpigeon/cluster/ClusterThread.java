package dev.peerpigeon.cluster;

import dev.peerpigeon.support.LogThrottle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The single cluster thread: directory changes, writes, heartbeats, in order. Any thread may post; at most
 * {@value #MAX_PENDING} tasks wait (beyond that a post is dropped, counted, and {@code onOverflow} runs, which makes
 * the node re-register everything later). A task's failure is logged (throttled) and does not stop the thread.
 */
final class ClusterThread {
    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);
    static final int MAX_PENDING = 100_000;

    private final ScheduledExecutorService exec;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong dropped;
    private final Runnable onOverflow;
    private final LogThrottle failureLog = LogThrottle.perSecond();
    private volatile boolean stopped;

    ClusterThread(String name, AtomicLong dropped, Runnable onOverflow) {
        this.dropped = dropped;
        this.onOverflow = onOverflow;
        this.exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    void post(Runnable r) {
        if (stopped) {
            return;
        }
        if (pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            dropped.incrementAndGet();
            onOverflow.run();
            return;
        }
        try {
            exec.execute(() -> {
                pending.decrementAndGet();
                guarded(r);
            });
        } catch (RejectedExecutionException stopping) {
            pending.decrementAndGet();
        }
    }

    void after(Runnable r, long millis) {
        try {
            exec.schedule(() -> guarded(r), millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // stopping
        }
    }

    void every(Runnable r, long millis) {
        exec.scheduleWithFixedDelay(() -> guarded(r), millis, millis, TimeUnit.MILLISECONDS);
    }

    void shutdown() {
        stopped = true;
        exec.shutdownNow();
        try {
            exec.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            int suppressed = failureLog.tryAcquire();
            if (suppressed >= 0) {
                log.warn("Cluster task failed: {}{}", e.toString(), LogThrottle.suffix(suppressed));
            }
            log.debug("Cluster task failure", e);
        }
    }
}

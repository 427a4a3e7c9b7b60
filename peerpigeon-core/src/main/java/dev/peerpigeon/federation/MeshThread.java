package dev.peerpigeon.federation;

import dev.peerpigeon.support.LogThrottle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The single "mesh" thread: every directory, route and dialer change runs on it, in order. Any thread may post.
 * A task's failure is logged (throttled) and does not stop the thread.
 */
final class MeshThread {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);

    private final ScheduledExecutorService exec;
    private final LogThrottle taskFailureLog = LogThrottle.perSecond();
    private volatile boolean stopped;

    MeshThread(String name) {
        this.exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    boolean stopped() {
        return stopped;
    }

    /** Runs {@code r} on the mesh thread (dropped once stopping). */
    void post(Runnable r) {
        if (stopped) {
            return;
        }
        try {
            exec.execute(guarded(r));
        } catch (RejectedExecutionException ignored) {
            // stopping
        }
    }

    /** Runs {@code r} on the mesh thread after {@code millis}; false when stopping (nothing scheduled). */
    boolean schedule(Runnable r, long millis) {
        try {
            exec.schedule(guarded(r), millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException stopping) {
            return false;
        }
    }

    void every(Runnable r, long millis) {
        exec.scheduleWithFixedDelay(r, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Marks the mesh stopping (posts are dropped from now on). */
    void markStopped() {
        stopped = true;
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

    private Runnable guarded(Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                // Tasks mostly apply what a link sent: one line a second, the stack trace at DEBUG.
                int suppressed = taskFailureLog.tryAcquire();
                if (suppressed >= 0) {
                    log.warn("Hub mesh task failed: {}{}", e.toString(), LogThrottle.suffix(suppressed));
                }
                log.debug("Hub mesh task failure", e);
            }
        };
    }
}

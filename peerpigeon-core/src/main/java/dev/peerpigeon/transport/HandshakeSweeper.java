package dev.peerpigeon.transport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The handshake timeout: accepted sockets whose upgrade has not completed (HTTP-only answers stay here until
 * closed) are closed when their request head (or HTTP answer) is not done within the timeout.
 *
 * <p>Threads: sockets are added on the selector thread, removed by a worker (upgrade) or any close path;
 * {@link #sweep} runs on the transport's timer thread. The set is concurrent.
 */
final class HandshakeSweeper {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    private final long timeoutMillis;
    /** Counts a socket's release exactly once (the transport's close bookkeeping). */
    private final Consumer<Tracked> release;
    private final Set<Tracked> pending = ConcurrentHashMap.newKeySet();

    HandshakeSweeper(long timeoutMillis, Consumer<Tracked> release) {
        this.timeoutMillis = timeoutMillis;
        this.release = release;
    }

    /** How often the sweep runs: a quarter of the timeout, within 10 ms .. 1 s. */
    long periodMillis() {
        return Math.max(10, Math.min(1000, timeoutMillis / 4));
    }

    void add(Tracked t) {
        pending.add(t);
    }

    void remove(Tracked t) {
        pending.remove(t);
    }

    /** Timer thread: closes sockets whose request did not complete in time. O(pending sockets). */
    void sweep() {
        long now = System.nanoTime();
        long timeout = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (Tracked t : pending) {
            if (now - t.acceptedAt > timeout) {
                log.debug("Closing {}: request not complete within {} ms", t.remote, timeoutMillis);
                LingeringCloser.closeAtOnce(t); // nothing of ours to deliver: don't hold its descriptor any longer
                t.closeConnection(1002, "Handshake timeout");
                release.accept(t); // also when the library considers it closed already
            }
        }
    }

    /** Stop: Java-WebSocket only closes upgraded connections on stop; close the ones still in their handshake. */
    void closeAll() {
        for (Tracked t : new ArrayList<>(pending)) {
            LingeringCloser.closeAtOnce(t);
            t.closeConnection(1001, "Server shutting down");
            release.accept(t);
        }
    }
}

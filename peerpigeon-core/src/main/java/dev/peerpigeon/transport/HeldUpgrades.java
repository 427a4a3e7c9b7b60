package dev.peerpigeon.transport;

import dev.peerpigeon.http.RequestHead;
import org.java_websocket.enums.ReadyState;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Holds an upgrade request until a stage of the handler completes ({@link TransportHandler#holdUpgrade}),
 * without blocking a worker thread. Java-WebSocket answers a request head synchronously on the connection's
 * worker, and a worker serves many connections (there are as many as cores): blocking one for the 1.5 s of a
 * takeover probe would stall every connection it serves, including, possibly, the very socket being probed,
 * whose pong it would then never decode (a live peer evicted). So the request is taken before the library sees
 * it: {@link Tracked#decode} asks {@link #intercept} first; the first buffer of a connection with a complete
 * upgrade head that the handler wants held is copied aside (and whatever the client sends meanwhile, up to
 * {@value #MAX_HELD_BYTES} bytes), the worker goes on with other connections, and when the stage completes a
 * marker buffer is queued to the same worker, which then feeds the saved bytes to the library as if they had just
 * arrived. The library decides as usual from then on ({@link TransportHandler#onRequest}).
 *
 * <p>Bounded: at most {@code max} requests are held at once (each holds its head, at most 16 KiB); beyond that a
 * request is decided at once. Only a head that arrived in the connection's first buffer is held (every real
 * client's does). Threads: {@link #intercept} runs on the connection's worker thread and owns the connection's
 * hold fields ({@link Tracked#heldBytes}, {@link Tracked#resumeMarker}); the stage completes on any thread and
 * only queues the marker; the counter is atomic.
 */
final class HeldUpgrades {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);
    /** Bytes one held connection may accumulate (its head plus what the client sends before it is answered). */
    static final int MAX_HELD_BYTES = RequestHeadParser.MAX_HEAD_BYTES + 4096;

    /**
     * How a marker reaches the connection's worker: a buffer of the library's pool size (the worker returns it to
     * that pool), put in the connection's queue after what it holds.
     */
    interface Requeue {
        ByteBuffer createBuffer();

        void decodeLater(Tracked t, ByteBuffer marker);
    }

    private final int max;
    private final Function<RequestHead, CompletionStage<?>> hold;
    private final Requeue requeue;
    private final AtomicInteger held = new AtomicInteger();

    HeldUpgrades(int max, Function<RequestHead, CompletionStage<?>> hold, Requeue requeue) {
        this.max = max;
        this.hold = hold;
        this.requeue = requeue;
    }

    /** Requests held right now. */
    int held() {
        return held.get();
    }

    /** Worker thread: true when {@code buf} was taken here (held, or the resume); false to decode it normally. */
    boolean intercept(Tracked t, ByteBuffer buf) {
        if (t.heldBytes != null) {
            if (buf == t.resumeMarker) {
                resume(t);
            } else {
                keep(t, buf);
            }
            return true;
        }
        if (t.headSeen || t.getReadyState() != ReadyState.NOT_YET_CONNECTED) {
            return false;
        }
        t.headSeen = true;
        RequestHead head = completeUpgradeHead(t, buf);
        if (head == null) {
            return false;
        }
        if (held.incrementAndGet() > max) {
            held.decrementAndGet();
            return false;
        }
        CompletionStage<?> stage;
        try {
            stage = hold.apply(head);
        } catch (RuntimeException e) {
            log.debug("Upgrade hold failed: {}", e.toString());
            stage = null;
        }
        if (stage == null) {
            held.decrementAndGet();
            return false;
        }
        ByteBuffer saved = ByteBuffer.allocate(Math.min(MAX_HELD_BYTES, Math.max(1024, buf.remaining() + 256)));
        saved.put(buf);
        t.heldBytes = saved;
        ByteBuffer marker = requeue.createBuffer();
        t.resumeMarker = marker;
        stage.whenComplete((r, e) -> requeue.decodeLater(t, marker));
        return true;
    }

    private static RequestHead completeUpgradeHead(Tracked t, ByteBuffer buf) {
        try {
            RequestHeadParser.ParsedRequest request = RequestHeadParser.parse(buf.duplicate());
            return RequestHeadParser.isUpgrade(request) ? RequestHeadParser.head(request, t.getRemoteSocketAddress()) : null;
        } catch (InvalidHandshakeException | RuntimeException e) { // incomplete, malformed
            return null; // the library parses it again and answers as usual
        }
    }

    /** Bytes the client sent while held: kept in order, bounded (a client that floods is closed). */
    private static void keep(Tracked t, ByteBuffer buf) {
        ByteBuffer saved = t.heldBytes;
        if (t.getReadyState() != ReadyState.NOT_YET_CONNECTED) {
            buf.position(buf.limit()); // closed while held: nothing more is decoded
            return;
        }
        if (saved.remaining() < buf.remaining()) {
            if (saved.position() + buf.remaining() > MAX_HELD_BYTES) {
                t.heldBytes = ByteBuffer.allocate(0); // nothing of it is decoded any more; the resume just releases
                t.closeConnection(1002, "Too much data before the upgrade was answered");
                return;
            }
            ByteBuffer bigger = ByteBuffer.allocate(Math.min(MAX_HELD_BYTES, Math.max(saved.capacity() * 2,
                    saved.position() + buf.remaining())));
            saved.flip();
            bigger.put(saved);
            saved = bigger;
            t.heldBytes = saved;
        }
        saved.put(buf);
    }

    /** The stage completed: the saved bytes go to the library now, on this worker, as if just read. */
    private void resume(Tracked t) {
        ByteBuffer saved = t.heldBytes;
        t.heldBytes = null;
        t.resumeMarker = null;
        held.decrementAndGet();
        saved.flip();
        if (saved.hasRemaining() && t.getReadyState() == ReadyState.NOT_YET_CONNECTED) {
            t.decodeHeld(saved);
        }
    }
}

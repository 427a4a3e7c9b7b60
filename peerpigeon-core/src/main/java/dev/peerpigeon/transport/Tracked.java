package dev.peerpigeon.transport;

import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * A socket as Java-WebSocket sees it, plus what we track from accept to close. {@code remote} and
 * {@code counted} are written by the selector thread before the socket enters {@code pending} (and before any
 * byte of it is read); {@code released} is claimed by whichever close path comes first (any thread). The hold
 * fields ({@code headSeen}, {@code heldBytes}, {@code resumeMarker}) belong to the connection's worker thread
 * ({@link HeldUpgrades}). Who decodes it ({@link SelectorDecoding}): its worker until it is open and
 * {@code atWorker} says the worker has nothing of it left (the open callback runs inside the worker's decode, so
 * it has registered the connection by then); then the selector thread, which alone owns {@code flushQueued}.
 */
final class Tracked extends WebSocketImpl {
    final long acceptedAt = System.nanoTime();
    volatile InetSocketAddress remote;
    volatile boolean counted;
    /** Claimed once by the first close path ({@link #release()}); a plain field, not an AtomicBoolean (16 bytes less). */
    private volatile boolean released;

    /** Null when upgrades are never held. */
    private final HeldUpgrades holds;
    boolean headSeen;
    java.nio.ByteBuffer heldBytes;
    java.nio.ByteBuffer resumeMarker;
    /** Reads handed to the worker whose decode has not returned yet. */
    private volatile int atWorker;
    private static final java.lang.invoke.VarHandle RELEASED =
            dev.peerpigeon.support.FieldHandles.of(java.lang.invoke.MethodHandles.lookup(), "released", boolean.class);
    private static final java.lang.invoke.VarHandle AT_WORKER =
            dev.peerpigeon.support.FieldHandles.of(java.lang.invoke.MethodHandles.lookup(), "atWorker", int.class);
    /** Selector thread: already listed to be written at the end of the read being decoded. */
    boolean flushQueued;

    Tracked(WebSocketAdapter listener, List<Draft> drafts, HeldUpgrades holds) {
        super(listener, drafts);
        this.holds = holds;
    }

    /**
     * Worker thread: every buffer handed to the worker; an upgrade may be held first ({@link HeldUpgrades}).
     * Counted down when done, after every callback it caused: the selector may decode the next read then.
     */
    @Override
    public void decode(java.nio.ByteBuffer socketBuffer) {
        try {
            if (holds == null || !holds.intercept(this, socketBuffer)) {
                super.decode(socketBuffer);
            }
        } finally {
            AT_WORKER.getAndAdd(this, -1);
        }
    }

    /** True for the one caller that releases this socket first (any thread). */
    boolean release() {
        return RELEASED.compareAndSet(this, false, true);
    }

    boolean released() {
        return released;
    }

    /** Selector thread: a read is handed to the worker ({@link #decode} counts it back down). */
    void handedToWorker() {
        AT_WORKER.getAndAdd(this, 1);
    }

    /** True when no read handed to the worker is still being decoded there. */
    boolean idleAtWorker() {
        return atWorker == 0;
    }

    /** Selector thread: a read of this open connection ({@link SelectorDecoding}). */
    void decodeOpen(java.nio.ByteBuffer socketBuffer) {
        super.decode(socketBuffer);
    }

    /** Worker thread: the saved bytes of a held request, decoded now. */
    void decodeHeld(java.nio.ByteBuffer saved) {
        super.decode(saved);
    }
}

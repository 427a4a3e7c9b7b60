package dev.peerpigeon.transport;

import java.nio.ByteBuffer;

/**
 * The frames a hub link's reader thread sends to one local socket while it decodes one read, held and written
 * together when the read is done or the next frame goes elsewhere. A read of a hub link carries a burst of relays,
 * consecutive ones mostly to the same peer (its partner sent several in one frame burst); written one by one that
 * was one system call per relayed frame on the dialing hub (W4: 390 000 writes for 18 700 reads). The selector
 * does the same for what it decodes ({@link SelectorDecoding}); this is its counterpart for the reader threads of
 * the links we dialed, which Java-WebSocket runs outside the selector.
 *
 * <p>Order: a connection's held frames are written before any other frame this thread sends it (a fan-out frame,
 * a close), and before this thread reads again. A frame another thread sends meanwhile may go out before them, as
 * it may whenever two threads send to one socket.
 *
 * <p>Bounds: held frames count against the connection's queue bounds ({@link #framesFor}, {@link #bytesFor}), and
 * are written before they alone would reach them; at most {@link #MAX_FRAMES} are held.
 *
 * <p>Threads: one per reader thread, found through a thread-local and used only by that thread.
 */
final class ReadBatch {
    /** Frames held at most (then they are written): one gathering write's worth. */
    static final int MAX_FRAMES = CountingChannel.GATHER_BUFFERS;
    private static final ThreadLocal<ReadBatch> CURRENT = new ThreadLocal<>();

    private final ByteBuffer[] frames = new ByteBuffer[MAX_FRAMES];
    private int size;
    private long bytes;
    private WsConnection owner;
    /** True while a read is decoded: only then are sends held. */
    private boolean active;

    private ReadBatch() {
    }

    /** The calling thread's batch while it decodes a read, else null. */
    static ReadBatch current() {
        ReadBatch b = CURRENT.get();
        return b != null && b.active ? b : null;
    }

    /** Reader thread: the read it is about to decode; sends are held until {@link #readDone}. */
    static void readBegins() {
        ReadBatch b = CURRENT.get();
        if (b == null) {
            b = new ReadBatch();
            CURRENT.set(b);
        }
        b.active = true;
    }

    /** Reader thread, before it reads again (or as its connection ends): writes what it holds, stops holding. */
    static void readDone() {
        ReadBatch b = CURRENT.get();
        if (b != null) {
            b.active = false;
            b.flush();
        }
    }

    /**
     * Whether {@code c}'s next frame ({@code length} bytes) can join the batch without writing first what it holds:
     * not when that is for another socket, and not when the held frames would reach {@code c}'s queue bounds by
     * themselves (a small bound writes sooner, it does not drop a reader that keeps up).
     */
    boolean takes(WsConnection c, int maxFrames, long maxBytes, int length) {
        return owner == null || (owner == c && size < MAX_FRAMES && size + 1 < maxFrames && bytes + length <= maxBytes);
    }

    boolean holds(WsConnection c) {
        return owner == c;
    }

    int framesFor(WsConnection c) {
        return owner == c ? size : 0;
    }

    long bytesFor(WsConnection c) {
        return owner == c ? bytes : 0;
    }

    /** Under {@code c}'s monitor, after its bounds were checked; {@link #takes} was true. */
    void add(WsConnection c, ByteBuffer frame) {
        owner = c;
        frames[size++] = frame;
        bytes += frame.remaining();
    }

    /** Writes the held frames (outside any connection's monitor: it takes the owner's). */
    void flush() {
        WsConnection c = owner;
        if (c == null) {
            return;
        }
        int n = size;
        owner = null;
        size = 0;
        bytes = 0;
        c.writeHeld(frames, n);
        java.util.Arrays.fill(frames, 0, n, null);
    }
}

package dev.peerpigeon.transport;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The socket as Java-WebSocket sees it: it counts the bytes of our queued frames until they really
 * leave. Every write to the socket passes here (the selector thread's writes from the library's queue,
 * the one write path, see {@link WsConnection}); only buffers we queued ourselves ({@link #track}) are counted, so the
 * library's own bounded writes (the 101 response, one close frame) never skew the count.
 *
 * <p>Fast path: a sender that finds nothing queued writes its frame itself ({@link #writeNow}), under the lock every
 * write to the socket takes, so it is exclusive; the rest of a partly written frame is sent before anything else.
 *
 * <p>Writes: when frames are queued behind the one the library writes, they go out together in one gathering
 * write (one syscall instead of one per frame, in queue order, so still one writer and whole frames); the library
 * then finds them sent and only moves its queue on.
 *
 * <p>Threads: {@link #track} and {@link #writeNow} are called by senders holding the connection's monitor,
 * {@link #write} and {@link #writeMore} by the selector thread; every write to the socket and {@link #pending} are
 * guarded by the write lock; the FIFO and the counter are concurrent. Our buffers enter the
 * FIFO in the order they enter the library's FIFO queue, so the oldest tracked buffer is the next of
 * ours the selector writes.
 */
final class CountingChannel implements org.java_websocket.WrappedByteChannel {
    final java.nio.channels.SocketChannel channel;
    /** What reads and writes go through: the socket itself, or its TLS wrapper (which then owns closing). */
    private final java.nio.channels.ByteChannel io;
    /** Asked on close whether the socket lingers instead (true: it took the channel over). */
    private final java.util.function.Predicate<CountingChannel> linger;
    /** Cleared when the socket is dropped or timed out: then it is closed at once. */
    volatile boolean lingers = true;
    /** While lingering: System.nanoTime() after which it is closed. */
    volatile long lingerUntil;
    private final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> tracked =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Bytes of tracked buffers not yet written (a field, not an AtomicLong: 24 bytes less per connection). */
    private volatile long queued;
    private static final java.lang.invoke.VarHandle QUEUED =
            dev.peerpigeon.support.FieldHandles.of(java.lang.invoke.MethodHandles.lookup(), "queued", long.class);

    /** Bytes of our frames accepted for this socket and not yet written (any thread). */
    long queued() {
        return queued;
    }

    private void addQueued(long delta) {
        QUEUED.getAndAdd(this, delta);
    }

    /**
     * The socket whose queue this channel writes, for gathering writes (null: one buffer per write). Set once by
     * the factory before the channel is handed to the library.
     */
    private final java.util.concurrent.BlockingQueue<ByteBuffer> outQueue;

    /** At most this many queued buffers, and about this many bytes, go out in one gathering write. */
    static final int GATHER_BUFFERS = 64;
    static final long GATHER_BYTES = 256 * 1024;

    CountingChannel(java.nio.channels.SocketChannel channel, java.util.function.Predicate<CountingChannel> linger) {
        this(channel, channel, linger, null);
    }

    /** Plain socket that writes the given socket's queued frames with gathering writes (one syscall for many). */
    CountingChannel(java.nio.channels.SocketChannel channel, java.util.function.Predicate<CountingChannel> linger,
                    java.util.concurrent.BlockingQueue<ByteBuffer> outQueue) {
        this(channel, channel, linger, outQueue);
    }

    /** Over a TLS wrapper of {@code channel}: counts plaintext bytes; no lingering (the wrapper closes it). */
    CountingChannel(java.nio.channels.SocketChannel channel, java.nio.channels.ByteChannel io,
                    java.util.function.Predicate<CountingChannel> linger) {
        this(channel, io, linger, null);
    }

    private CountingChannel(java.nio.channels.SocketChannel channel, java.nio.channels.ByteChannel io,
                            java.util.function.Predicate<CountingChannel> linger,
                            java.util.concurrent.BlockingQueue<ByteBuffer> outQueue) {
        this.outQueue = io == channel ? outQueue : null; // TLS wraps one buffer at a time
        this.channel = channel;
        this.io = io;
        this.linger = linger;
        if (io != channel) {
            lingers = false;
        }
    }

    private org.java_websocket.WrappedByteChannel wrapped() {
        return io instanceof org.java_websocket.WrappedByteChannel w ? w : null;
    }

    /**
     * Every write to the socket holds this lock: the selector's (the library's queue) and a sender's direct write
     * ({@link #writeNow}). That is what makes the direct write exclusive.
     */
    private final java.util.concurrent.locks.ReentrantLock writeLock = new java.util.concurrent.locks.ReentrantLock();
    /**
     * The unsent rest of a frame written directly (guarded by {@link #writeLock}; volatile for {@link #isNeedWrite}):
     * it goes out before anything else, so no frame can start inside it.
     */
    private volatile ByteBuffer pending;

    /**
     * A sender's fast path (it holds the connection's monitor): writes {@code frame} to the socket at once when
     * nothing is queued, nothing is left of an earlier direct write and nobody else is writing; a rest the kernel
     * did not take stays {@link #pending} (counted) for the selector, which the caller must then ask to write.
     * Returns false when the frame was not taken (queue it). Plain sockets only: TLS wraps on the selector.
     */
    boolean writeNow(ByteBuffer frame) {
        return writeIdle(frame, null, 1) == 1;
    }

    /**
     * {@link #writeNow} for several frames in one gathering write: returns how many it took, the frames the kernel
     * took whole and the first it did not (its rest stays {@link #pending}, counted); the caller queues the others.
     * 0 when it could not write (queue not empty, rest pending, another writer).
     */
    int writeNow(ByteBuffer[] frames, int n) {
        return writeIdle(null, frames, n);
    }

    /** Both {@code writeNow}s: {@code one} frame, or the first {@code n} of {@code many} in one gathering write. */
    private int writeIdle(ByteBuffer one, ByteBuffer[] many, int n) {
        if (outQueue == null || !writeLock.tryLock()) {
            return 0;
        }
        try {
            if (pending != null || !outQueue.isEmpty()) {
                return 0;
            }
            if (many == null) {
                channel.write(one);
                keepRest(one);
                return 1;
            }
            channel.write(many, 0, n);
            for (int i = 0; i < n; i++) {
                if (keepRest(many[i])) {
                    return i + 1;
                }
            }
            return n;
        } catch (IOException | RuntimeException e) {
            return 0; // the socket is failing: queue it, the selector's write reports the failure as usual
        } finally {
            writeLock.unlock();
        }
    }

    /** Under the write lock: what the kernel did not take of {@code frame} stays pending (counted); true if any. */
    private boolean keepRest(ByteBuffer frame) {
        if (!frame.hasRemaining()) {
            return false;
        }
        addQueued(frame.remaining());
        pending = frame;
        return true;
    }

    /** Plain socket written by gathering writes (not TLS, which wraps one buffer at a time on the selector). */
    boolean plain() {
        return outQueue != null;
    }

    /** True while the rest of a directly written frame waits for the selector. */
    boolean hasPending() {
        return pending != null;
    }

    /** Under {@link #writeLock}: sends what is left of a direct write; true when nothing is left. */
    private boolean flushPending() throws IOException {
        ByteBuffer p = pending;
        if (p == null) {
            return true;
        }
        int before = p.remaining();
        channel.write(p);
        addQueued(-(before - p.remaining()));
        if (p.hasRemaining()) {
            return false;
        }
        pending = null;
        return true;
    }

    @Override
    public boolean isNeedWrite() {
        org.java_websocket.WrappedByteChannel w = wrapped();
        return pending != null || (w != null && w.isNeedWrite());
    }

    @Override
    public void writeMore() throws IOException {
        writeLock.lock();
        try {
            flushPending();
        } finally {
            writeLock.unlock();
        }
        org.java_websocket.WrappedByteChannel w = wrapped();
        if (w != null) {
            w.writeMore();
        }
    }

    @Override
    public boolean isNeedRead() {
        org.java_websocket.WrappedByteChannel w = wrapped();
        return w != null && w.isNeedRead();
    }

    @Override
    public int readMore(ByteBuffer dst) throws IOException {
        org.java_websocket.WrappedByteChannel w = wrapped();
        return w == null ? 0 : w.readMore(dst);
    }

    @Override
    public boolean isBlocking() {
        org.java_websocket.WrappedByteChannel w = wrapped();
        return w == null ? channel.isBlocking() : w.isBlocking();
    }

    void track(ByteBuffer frame) {
        addQueued(frame.remaining());
        tracked.add(frame);
    }

    void clear() {
        writeLock.lock();
        try {
            pending = null;
            tracked.clear();
            queued = 0;
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        writeLock.lock();
        try {
            return writeLocked(src);
        } finally {
            writeLock.unlock();
        }
    }

    private int writeLocked(ByteBuffer src) throws IOException {
        if (!src.hasRemaining()) {
            return 0; // already sent by a gathering write: the library only moves on to the next buffer
        }
        if (!flushPending()) {
            return 0; // the rest of a direct write first; the library keeps src queued and OP_WRITE set
        }
        ByteBuffer[] batch = gather(src);
        if (batch == null) {
            int before = src.remaining();
            int n = io.write(src);
            sent(src, before);
            return n;
        }
        int[] before = new int[batch.length];
        for (int i = 0; i < batch.length; i++) {
            before[i] = batch[i].remaining();
        }
        int first = src.remaining();
        channel.write(batch);
        for (int i = 0; i < batch.length; i++) {
            sent(batch[i], before[i]); // in queue order, as the tracked FIFO expects
        }
        return first - src.remaining();
    }

    /** Accounts for what left {@code b} (our queued frames only); the oldest tracked buffer is the next of ours. */
    private void sent(ByteBuffer b, int before) {
        if (tracked.peek() == b) {
            // What left the buffer, not what the wrapper reports: over TLS that is encrypted bytes, not ours.
            addQueued(-(before - b.remaining()));
            if (!b.hasRemaining()) {
                tracked.poll();
            }
        }
    }

    /**
     * The head of the queue ({@code src}, which the library is writing) and the buffers queued behind it, for one
     * gathering write; null when there is nothing behind it (or no queue to look at). Selector thread: senders only
     * add at the tail, and the queue's iterator is safe against that.
     */
    private ByteBuffer[] gather(ByteBuffer src) {
        if (outQueue == null || outQueue.size() < 2) {
            return null; // the common case, one frame: no iterator (it takes both of the queue's locks)
        }
        java.util.Iterator<ByteBuffer> it = outQueue.iterator();
        if (!it.hasNext() || it.next() != src || !it.hasNext()) {
            return null;
        }
        java.util.List<ByteBuffer> out = new java.util.ArrayList<>(8);
        out.add(src);
        long bytes = src.remaining();
        while (it.hasNext() && out.size() < GATHER_BUFFERS && bytes < GATHER_BYTES) {
            ByteBuffer b = it.next();
            out.add(b);
            bytes += b.remaining();
        }
        return out.toArray(new ByteBuffer[0]);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return io.read(dst);
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        if (io != channel) {
            io.close();
        } else if (!linger.test(this)) {
            channel.close();
        }
    }
}

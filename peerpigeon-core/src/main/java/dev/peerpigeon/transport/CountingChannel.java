package dev.peerpigeon.transport;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The socket as Java-WebSocket sees it: it counts the bytes of our queued frames until they really
 * leave. Every write to the socket passes here (the selector thread's writes from the library's queue,
 * the one write path, see {@link WsConnection}); only buffers we queued ourselves ({@link #track}) are counted, so the
 * library's own bounded writes (the 101 response, one close frame) never skew the count.
 *
 * <p>Writes: when frames are queued behind the one the library writes, they go out together in one gathering
 * write (one syscall instead of one per frame, in queue order, so still one writer and whole frames); the library
 * then finds them sent and only moves its queue on.
 *
 * <p>Threads: {@link #track} is called by senders holding the connection's monitor, {@link #write} by
 * the selector thread; the FIFO and the counter are concurrent. Our buffers enter the
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
    /** Bytes of tracked buffers not yet written. */
    final java.util.concurrent.atomic.AtomicLong queued = new java.util.concurrent.atomic.AtomicLong();

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

    @Override
    public boolean isNeedWrite() {
        org.java_websocket.WrappedByteChannel w = wrapped();
        return w != null && w.isNeedWrite();
    }

    @Override
    public void writeMore() throws IOException {
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
        queued.addAndGet(frame.remaining());
        tracked.add(frame);
    }

    void clear() {
        tracked.clear();
        queued.set(0);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (!src.hasRemaining()) {
            return 0; // already sent by a gathering write: the library only moves on to the next buffer
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
            queued.addAndGet(-(before - b.remaining()));
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
        if (outQueue == null) {
            return null;
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

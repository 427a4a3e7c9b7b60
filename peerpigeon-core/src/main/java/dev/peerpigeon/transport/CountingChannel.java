package dev.peerpigeon.transport;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The socket as Java-WebSocket sees it: it counts the bytes of our queued frames until they really
 * leave. Every write to the socket passes here (the selector thread's writes from the library's queue,
 * the one write path, see {@link WsConnection}); only buffers we queued ourselves ({@link #track}) are counted, so the
 * library's own bounded writes (the 101 response, one close frame) never skew the count.
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

    CountingChannel(java.nio.channels.SocketChannel channel, java.util.function.Predicate<CountingChannel> linger) {
        this(channel, channel, linger);
    }

    /** Over a TLS wrapper of {@code channel}: counts plaintext bytes; no lingering (the wrapper closes it). */
    CountingChannel(java.nio.channels.SocketChannel channel, java.nio.channels.ByteChannel io,
                    java.util.function.Predicate<CountingChannel> linger) {
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
        int before = src.remaining();
        int n = io.write(src);
        if (tracked.peek() == src) {
            // What left the buffer, not what the wrapper reports: over TLS that is encrypted bytes, not ours.
            queued.addAndGet(-(before - src.remaining()));
            if (!src.hasRemaining()) {
                tracked.poll();
            }
        }
        return n;
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

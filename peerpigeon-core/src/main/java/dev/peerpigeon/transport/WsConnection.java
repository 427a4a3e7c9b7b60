package dev.peerpigeon.transport;

import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.signaling.SharedFrame;
import dev.peerpigeon.support.Meters;

import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static dev.peerpigeon.transport.FrameHeaders.frame;

/**
 * {@link Connection} over a Java-WebSocket socket, with a bounded send queue.
 *
 * <p>Writes: one owned write path per connection. Every outgoing frame (data, our pings, the pongs we
 * answer with, and the library's close frames) enters Java-WebSocket's per-connection FIFO as a whole
 * buffer, and the selector thread writes that FIFO to the channel; or, when that FIFO is empty, the sender
 * writes its frame itself ({@link CountingChannel#writeNow}). The direct write is exclusive because every write
 * to the socket, the selector's included, holds the channel's write lock, and the "queue empty" check is made
 * under that lock; the rest of a partly written frame goes out before anything else. (The old direct write
 * checked the queue without such a lock: the library enqueues its close frames from worker threads without our
 * monitor, so bytes of two frames could interleave, issue 11.) TLS sockets always go through the selector.
 *
 * <p>Bounds: every frame of ours is counted exactly until the kernel took all of it ({@link CountingChannel}),
 * data frames, our pings and the pongs answering the client's pings alike. Not counted: the library's own
 * close frame (one per connection, at most 127 bytes).
 *
 * <p>Threads: any sender; enqueueing holds this object's monitor (the check against the bounds and the
 * add are one step). A frame queued on the selector thread while it decodes a read is written at the end of that
 * read ({@link SelectorDecoding#flushAtEndOfRead}); other senders write themselves when nothing is queued.
 */
final class WsConnection implements Connection {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);
    private final WebSocket socket;
    private final int maxQueuedFrames;
    private final long maxQueuedBytes;
    /** Set (under the monitor) when a frame was refused: the connection is being dropped. */
    private boolean dropping;

    private final Meters meters;

    private final SelectorDecoding decoding;

    WsConnection(WebSocket socket, int maxQueuedFrames, long maxQueuedBytes, Meters meters,
                 SelectorDecoding decoding) {
        this.socket = socket;
        this.decoding = decoding;
        this.meters = meters;
        this.maxQueuedFrames = maxQueuedFrames;
        this.maxQueuedBytes = maxQueuedBytes;
    }

    @Override
    public void send(String text) {
        if (socket.isOpen()) {
            enqueue(frame(0x1, text.getBytes(StandardCharsets.UTF_8)), false);
        }
    }

    @Override
    public void sendUtf8(byte[] headroomAndPayload) {
        if (socket.isOpen()) {
            enqueue(FrameHeaders.frameInPlace(0x1, headroomAndPayload, MessageCodec.FRAME_HEADROOM), false);
        }
    }

    @Override
    public void send(SharedFrame prepared) {
        if (socket.isOpen()) {
            byte[] wire = prepared.wire(FrameHeaders.SERVER_TEXT_FRAME);
            enqueue(ByteBuffer.wrap(wire), true); // shared bytes, own position
        }
    }

    /**
     * Writes what the kernel takes at once; queues the rest, counted against the bounds. The frame
     * count and the byte count are both checked on every enqueue (O(1) counters): a receiver that does
     * not read is dropped as soon as either is exceeded, data frames, pings and pongs alike.
     */
    private void enqueue(ByteBuffer frame, boolean direct) {
        ReadBatch batch = ReadBatch.current();
        if (batch != null && (direct ? batch.holds(this)
                : !batch.takes(this, maxQueuedFrames, maxQueuedBytes, frame.remaining()))) {
            batch.flush(); // outside the monitor: it takes the held frames' socket's
        }
        long refused = write(frame, direct, batch);
        if (refused >= 0) {
            log.warn("Dropping {}: {} bytes to queue, it does not read fast enough", remoteAddress(), refused);
            // A close frame would queue behind data it never reads: drop the socket and its queue now.
            // Outside the monitor: the close callbacks send to other connections.
            meters.slowConsumerDropped();
            abort(1008, "Send queue overflow (slow consumer)");
        }
    }

    @Override
    public long queuedBytes() {
        return socket instanceof WebSocketImpl impl && impl.getChannel() instanceof CountingChannel c
                ? c.queued() : 0;
    }

    /**
     * Writes the frame at once or queues it, and returns -1; or returns the bytes it would have queued (refused).
     * On the selector thread, while it decodes a read, a frame to one socket is queued and written with the others
     * that read produced, in one gathering write (a read of 8 relays to one peer, W2); fan-out frames
     * ({@code direct}: one frame to each of many sockets) are written at once. On any other thread (a hub link's
     * reader, a cluster delivery, a worker, the pinger) the sender writes itself when nothing is queued: one write
     * instead of waking the selector, an epoll change and a write (W4: relays arriving over a hub link).
     */
    private synchronized long write(ByteBuffer frame, boolean direct, ReadBatch batch) {
        if (dropping) {
            return -1; // being aborted: nothing may follow a frame that was cut short
        }
        WebSocketImpl impl = (WebSocketImpl) socket;
        CountingChannel counter = impl.getChannel() instanceof CountingChannel c ? c : null;
        int heldFrames = batch == null ? 0 : batch.framesFor(this);
        long queuedBytes = counter == null ? 0
                : counter.queued() + (batch == null ? 0 : batch.bytesFor(this)) + frame.remaining();
        if (impl.outQueue.size() + heldFrames >= maxQueuedFrames || queuedBytes > maxQueuedBytes) {
            dropping = true;
            return queuedBytes;
        }
        if (batch != null && !direct && counter != null && counter.plain()) {
            batch.add(this, frame); // a hub link's reader: written with the others of its read to this socket
            return -1;
        }
        Tracked deferred = !direct && impl instanceof Tracked t && decoding.decodingHere() ? t : null;
        if (deferred == null && counter != null && counter.writeNow(frame)) {
            if (counter.hasPending()) {
                demandWrite(impl); // the kernel took part of it: the selector sends the rest
            }
            return -1;
        }
        if (counter != null) {
            counter.track(frame); // before the library's queue: the selector may write it at once
        }
        impl.outQueue.add(frame);
        if (deferred != null) {
            decoding.flushAtEndOfRead(deferred);
        } else {
            demandWrite(impl);
        }
        return -1;
    }

    /**
     * A hub link's reader thread, after its read ({@link ReadBatch}): writes the frames it held for this socket in
     * one gathering write when nothing is queued, else queues them; dropped if the connection is being dropped.
     */
    synchronized void writeHeld(ByteBuffer[] frames, int n) {
        if (dropping || !socket.isOpen()) {
            return;
        }
        WebSocketImpl impl = (WebSocketImpl) socket;
        CountingChannel counter = (CountingChannel) impl.getChannel();
        int taken = counter.writeNow(frames, n);
        for (int i = taken; i < n; i++) {
            counter.track(frames[i]);
            impl.outQueue.add(frames[i]);
        }
        if (taken < n || counter.hasPending()) {
            demandWrite(impl);
        }
    }

    /**
     * Nothing waits to be written: the library's queue is empty (it holds the 101 response until the selector
     * has written it) and no rest of a direct write is pending. For tests that need the socket idle first.
     */
    boolean nothingQueued() {
        WebSocketImpl impl = (WebSocketImpl) socket;
        return impl.outQueue.isEmpty() && !(impl.getChannel() instanceof CountingChannel c && c.hasPending());
    }

    /** Asks the selector to write this socket (OP_WRITE and a wake-up). */
    static void demandWrite(WebSocketImpl impl) {
        try {
            impl.getWebSocketListener().onWriteDemand(impl);
        } catch (RuntimeException e) {
            // the key was cancelled concurrently: the connection is closing
        }
    }

    /** Answers a received ping through the counted send path (the library would queue it unbounded). */
    void pong(ByteBuffer pingPayload) {
        if (socket.isOpen()) {
            byte[] payload = new byte[pingPayload.remaining()];
            pingPayload.duplicate().get(payload);
            enqueue(frame(0xA, payload), false);
        }
    }

    @Override
    public void close(int code, String reason) {
        ReadBatch batch = ReadBatch.current();
        if (batch != null && batch.holds(this)) {
            batch.flush(); // what this thread sent before the close goes first
        }
        closeAfterSent(code, reason);
    }

    private synchronized void closeAfterSent(int code, String reason) {
        socket.close(code, reason); // under the monitor: the close frame cannot split a partly written frame
    }

    @Override
    public void abort(int code, String reason) {
        if (socket instanceof WebSocketImpl impl) {
            impl.outQueue.clear();
            if (impl.getChannel() instanceof CountingChannel c) {
                c.clear();
                c.lingers = false; // dropped without a close frame: nothing to protect, free the descriptor now
            }
            impl.closeConnection(code, reason);
        } else {
            socket.close(code, reason);
        }
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public void sendPing() {
        if (socket.isOpen()) {
            enqueue(frame(0x9, new byte[0]), false);
        }
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return socket.getRemoteSocketAddress();
    }
}

package dev.peerpigeon.transport;

import org.java_websocket.SocketChannelIOHelper;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.WebSocketListener;
import org.java_websocket.WrappedByteChannel;
import org.java_websocket.drafts.Draft;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Frames of open connections are decoded, handled and answered on the selector thread, as in an event loop:
 * one thread reads a socket, runs the signaling logic for its frames and writes what they produced, with no
 * hand-off between threads. Java-WebSocket hands every read to a worker thread, and the worker's sends wake the
 * selector to write them: per relayed message that was two thread wake-ups and about 7.5 system calls (futex,
 * eventfd, two epoll_ctl; counted with {@code perf stat} at 21 000 msgs/s), and the waits for a core between them
 * were the open-loop latency tail (issue 11). Request heads, upgrades and everything before {@code onOpen} ends
 * stay on the workers (an admission hook may take its time there).
 *
 * <p>Hand-over: a connection is decoded here once it is open and no buffer of it is left with its worker
 * ({@link Tracked#idleAtWorker}, counted by every hand-off to the worker and by the worker's decode when it has
 * returned, after the open callback it ran); so its frames are decoded in order by one thread at a time, and the atomic count carries the
 * decoder's state from the worker to the selector.
 *
 * <p>Writes: what the handlers send while a read is decoded here is queued and written when its frames are done
 * (one gathering write per socket and read instead of an epoll change and a wake-up per frame); what the kernel
 * does not take is left to the selector's usual OP_WRITE path.
 *
 * <p>Read buffers: the library takes one of its pooled buffers per read and only its workers return them. A buffer
 * decoded here is returned through a worker, several at a time, so a worker is woken once per batch instead of once
 * per read. At most half the pool is held back, and a batch goes to a worker that has returned its last one: a
 * worker that is busy for a while (a slow status document, an admission hook) holds one batch at most, and the
 * other half of the pool carries the selector on to the next batch, which another worker returns. Whenever a read goes to a worker anyway (request
 * heads), the held buffers go back at once, so none stays held while connections are only being opened. A pool of
 * one to three buffers (a server that ever accepted that few sockets) returns every buffer at once.
 *
 * <p>Threads: everything here runs on the selector thread, except {@link #queue} (any thread: a held upgrade
 * resumes from where its probe ends; only the selector decodes or returns buffers) and {@link #decodingHere}, which any sender asks.
 */
final class SelectorDecoding {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    /** How a connection (or the buffer-returning socket) goes to its worker: the library's own queueing. */
    interface Workers {
        void queue(WebSocketImpl ws) throws InterruptedException;
    }

    private final Workers workers;
    /** The library's pool holds at most this many read buffers (two per worker plus one). */
    private final int maxPool;
    /** Buffers the library has pooled so far: one per accepted socket, up to {@link #maxPool}. */
    private int pool;
    private final ArrayDeque<ByteBuffer> spent = new ArrayDeque<>();
    /** Sockets that are never connected, one per worker: their workers only return the buffers given to them. */
    private final BufferReturn[] bufferReturns;
    private int nextReturn;
    /** The library's workers seen so far (it keeps the list private), in the order seen. */
    private final List<org.java_websocket.server.WebSocketServer.WebSocketWorker> knownWorkers = new ArrayList<>();
    /** Sockets with frames queued while the current read was decoded, written when it is done. */
    private final List<Tracked> toFlush = new ArrayList<>();
    private volatile Thread selector;
    private boolean decoding;

    SelectorDecoding(Workers workers, int workerThreads, WebSocketListener listener, List<Draft> drafts) {
        this.workers = workers;
        this.maxPool = 2 * workerThreads + 1;
        this.bufferReturns = new BufferReturn[workerThreads];
        for (int i = 0; i < workerThreads; i++) {
            bufferReturns[i] = new BufferReturn(listener, drafts, workers);
        }
    }

    /** Selector thread, once at start. */
    void selectorStarted() {
        selector = Thread.currentThread();
    }

    /** Selector thread: the library pooled one more read buffer (it does for each accept, up to its maximum). */
    void bufferAllocated() {
        pool = Math.min(maxPool, pool + 1);
    }

    /**
     * The library has put a read of {@code ws} in its input queue: decodes it here when that is safe, else hands
     * it to the connection's worker, counted.
     */
    void queue(WebSocketImpl ws) throws InterruptedException {
        if (ws instanceof Tracked t) {
            if (t.idleAtWorker() && t.isOpen() && Thread.currentThread() == selector) {
                ByteBuffer read = t.inQueue.poll(); // the only one: nothing of it is left with the worker
                if (read != null) {
                    decodeHere(t, read);
                    return;
                }
            }
            t.handedToWorker();
        }
        workers.queue(ws);
        if (Thread.currentThread() != selector) {
            return;
        }
        org.java_websocket.server.WebSocketServer.WebSocketWorker w = ws.getWorkerThread();
        if (w != null && knownWorkers.size() < bufferReturns.length && !knownWorkers.contains(w)) {
            knownWorkers.add(w); // the library deals connections to its workers in turn: all are seen soon
        }
        if (!spent.isEmpty()) {
            returnSpent(); // reads go to workers now (connections opening): don't keep the pool short meanwhile
        }
    }

    private void decodeHere(Tracked t, ByteBuffer read) throws InterruptedException {
        decoding = true;
        try {
            t.decodeOpen(read);
        } catch (RuntimeException e) {
            // A bug of ours, not the client's doing: the decoder's state is unknown, so the connection ends.
            log.warn("Frame decoding failed for {}: {}", t.getRemoteSocketAddress(), e.toString());
            log.debug("Frame decoding failure", e);
            t.close(1011, "Internal error");
        } finally {
            decoding = false;
            flush();
            giveBack(read);
        }
    }

    /** Any thread: true on the selector thread while it decodes a read (then sends may wait for its end). */
    boolean decodingHere() {
        return Thread.currentThread() == selector && decoding; // the flag is the selector's own
    }

    /** Selector thread, while {@link #decodingHere}: {@code t}'s queue is written when the read is done. */
    void flushAtEndOfRead(Tracked t) {
        if (!t.flushQueued) {
            t.flushQueued = true;
            toFlush.add(t);
        }
    }

    private void flush() {
        for (int i = 0; i < toFlush.size(); i++) {
            Tracked t = toFlush.get(i);
            t.flushQueued = false;
            boolean done;
            try {
                // A socket to be closed once flushed: the library's own write closes it (behind its key check).
                // TLS may keep encrypted bytes after a partial write: those need OP_WRITE too.
                done = t.getChannel() != null && !t.isFlushAndClose()
                        && SocketChannelIOHelper.batch(t, t.getChannel())
                        && !(t.getChannel() instanceof WrappedByteChannel w && w.isNeedWrite());
            } catch (IOException | RuntimeException e) {
                done = false; // the selector's own write meets the failure again and closes as usual
            }
            if (!done) {
                WsConnection.demandWrite(t);
            }
        }
        toFlush.clear();
    }

    /** Returns {@code read} to the library's pool through a worker, a batch at a time. */
    private void giveBack(ByteBuffer read) throws InterruptedException {
        spent.add(read);
        if (spent.size() >= Math.max(1, pool / 2)) {
            returnSpent();
        }
    }

    /**
     * Gives the held buffers to the next buffer-returning socket whose worker has returned its last batch (a busy
     * worker is skipped, so it holds one batch at most), each such socket on a worker of its own once known.
     */
    private void returnSpent() throws InterruptedException {
        int n = bufferReturns.length;
        int pick = nextReturn;
        for (int k = 0; k < n; k++) {
            int i = (nextReturn + k) % n;
            if (bufferReturns[i].idle()) {
                pick = i;
                break;
            }
        }
        nextReturn = (pick + 1) % n;
        BufferReturn to = bufferReturns[pick];
        if (to.getWorkerThread() == null && pick < knownWorkers.size()) {
            to.setWorkerThread(knownWorkers.get(pick)); // else the library assigns the next one in turn
        }
        to.inQueue.addAll(spent);
        spent.clear();
        to.pass();
    }

    /**
     * Never connected; its worker "decodes" each buffer given to it by dropping its bytes, and the library then
     * pools it. The library's worker takes one buffer per turn of this socket in its queue; one turn at a time
     * is in that queue ({@code turn}), and the worker passes it on to itself while buffers are left: one wake-up
     * per batch, and never a turn without a buffer (that would end the worker).
     */
    private static final class BufferReturn extends WebSocketImpl {
        private final Workers workers;
        private final java.util.concurrent.atomic.AtomicBoolean turn = new java.util.concurrent.atomic.AtomicBoolean();

        BufferReturn(WebSocketListener listener, List<Draft> drafts, Workers workers) {
            super(listener, drafts);
            this.workers = workers;
        }

        /** True when its worker has returned every buffer given to it (no turn is pending). */
        boolean idle() {
            return !turn.get();
        }

        /** After buffers were added (selector), or after one was taken (worker): queues the turn if needed. */
        void pass() throws InterruptedException {
            if (!inQueue.isEmpty() && turn.compareAndSet(false, true)) {
                try {
                    workers.queue(this);
                } catch (InterruptedException e) {
                    turn.set(false); // stopping; the turn was not queued
                    throw e;
                }
            }
        }

        /** Worker thread, holding the turn. */
        @Override
        public void decode(ByteBuffer socketBuffer) {
            socketBuffer.position(socketBuffer.limit());
            try {
                if (!inQueue.isEmpty()) {
                    workers.queue(this); // keeps the turn
                } else {
                    turn.set(false);
                    pass(); // the selector may have added buffers just before the turn was given up
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // stopping
            }
        }
    }
}

package dev.peerpigeon.transport;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.function.BooleanSupplier;

/**
 * The plain TCP socket of an outbound hub link ({@code ws://}), whose output coalesces frames. Java-WebSocket's
 * client thread writes each queued frame and flushes it, one system call per frame: under relay load a hub link
 * carries tens of thousands of small frames a second. Here a flush only writes when the client's queue is empty
 * (nothing else is about to follow) or {@link #MAX_COALESCED} bytes are waiting, so a burst leaves in one write,
 * and the other hub reads it in one read. Nothing waits for a timer: the last frame of a burst is written at once.
 * Reads coalesce the other way round: see {@link #getInputStream}.
 *
 * <p>Threads: the stream is written by the client's single write thread, under {@code lock}; {@code close} may come
 * from any thread and writes what is still held only if the lock is free (a writer blocked on a remote hub that
 * does not read must not block the close that ends it).
 */
final class CoalescingSocket extends Socket {
    /** Bytes held at most before they are written regardless: a bound on the memory and on the delay of a burst. */
    static final int MAX_COALESCED = 64 * 1024;

    private final BooleanSupplier nothingQueued;
    private Coalescing out;
    private java.io.InputStream in;

    /** {@code nothingQueued}: true when the client's send queue is empty. */
    CoalescingSocket(BooleanSupplier nothingQueued) {
        this.nothingQueued = nothingQueued;
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
        if (out == null) {
            out = new Coalescing(super.getOutputStream(), nothingQueued);
        }
        return out;
    }

    /**
     * The client's reader thread reads here: what it sends to local sockets while it decodes a read is held and
     * written when it reads again ({@link ReadBatch}).
     */
    @Override
    public synchronized java.io.InputStream getInputStream() throws IOException {
        if (in == null) {
            in = new java.io.FilterInputStream(super.getInputStream()) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    ReadBatch.readDone();
                    int n = super.read(b, off, len);
                    if (n > 0) {
                        ReadBatch.readBegins();
                    }
                    return n;
                }
            };
        }
        return in;
    }

    @Override
    public void close() throws IOException {
        Coalescing o;
        synchronized (this) {
            o = out;
        }
        if (o != null) {
            o.writeHeld();
        }
        super.close();
    }

    private static final class Coalescing extends OutputStream {
        private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        private final OutputStream socket;
        private final BooleanSupplier nothingQueued;
        private final byte[] held = new byte[MAX_COALESCED];
        private int fill;

        Coalescing(OutputStream socket, BooleanSupplier nothingQueued) {
            this.socket = socket;
            this.nothingQueued = nothingQueued;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            lock.lock();
            try {
                if (fill + len > held.length) {
                    writeHeldOrFail();
                    if (len > held.length) {
                        socket.write(b, off, len); // a frame bigger than the whole buffer goes out as it is
                        return;
                    }
                }
                System.arraycopy(b, off, held, fill, len);
                fill += len;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void flush() throws IOException {
            lock.lock();
            try {
                if (nothingQueued.getAsBoolean()) {
                    writeHeldOrFail();
                }
            } finally {
                lock.unlock();
            }
        }

        private void writeHeldOrFail() throws IOException {
            if (fill > 0) {
                int n = fill;
                fill = 0;
                socket.write(held, 0, n);
            }
        }

        /** On close: what is held goes out if no write is in progress and the socket still takes it. */
        void writeHeld() {
            if (!lock.tryLock()) {
                return;
            }
            try {
                writeHeldOrFail();
            } catch (IOException ignored) {
                // the connection is gone: nothing to deliver to
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            writeHeld();
            socket.close();
        }
    }
}

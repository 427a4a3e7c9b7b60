package dev.peerpigeon.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A minimal WebSocket client for load generation: one selector thread drives thousands of connections,
 * so the generator costs far less CPU than the server it measures. Text frames only; answers pings;
 * masks with a zero key (legal, and saves the XOR). Not a general-purpose client.
 *
 * <p>Threads: everything runs on the loop thread; {@link Conn#send} from other threads hands the frame
 * over through a queue and wakes the selector. An optional {@link Ticker} (the open-loop sender) also runs
 * on the loop thread, between reads, so sending and receiving share one thread and one core at most.
 */
final class NioWsClient implements AutoCloseable {
    private final Selector selector;
    private final Thread loop;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private final ByteBuffer readBuf = ByteBuffer.allocateDirect(256 * 1024);
    /** Loop thread only: where {@link Conn#sendText(byte[], long, byte[])} builds frames. */
    private ByteBuffer scratch = ByteBuffer.allocateDirect(64 * 1024);
    /** Loop thread only. */
    private Ticker ticker;
    /** Loop thread only: when {@link #ticker} wants to run next (System.nanoTime), Long.MAX_VALUE for never. */
    private long nextTick = Long.MAX_VALUE;

    /** Work scheduled by time on the loop thread. */
    interface Ticker {
        /** Does what is due at {@code nowNanos}; returns when it wants to be called next (System.nanoTime). */
        long tick(long nowNanos);
    }

    NioWsClient(String name) throws IOException {
        selector = Selector.open();
        loop = new Thread(this::run, name);
        loop.setDaemon(true);
        loop.start();
    }

    final class Conn {
        final SocketChannel ch;
        final String requestHead;
        final Consumer<Conn> onOpen;
        final BiConsumer<Conn, byte[]> onText;
        final Consumer<Conn> onClosed;
        final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        /** Bytes in {@link #out} not yet written to the socket (loop thread only). */
        long queuedBytes;
        ByteBuffer in = ByteBuffer.allocate(8192);
        boolean open;
        volatile boolean closed;
        SelectionKey key;
        long connectStartNanos;
        long openNanos;

        Conn(SocketChannel ch, String requestHead, Consumer<Conn> onOpen, BiConsumer<Conn, byte[]> onText, Consumer<Conn> onClosed) {
            this.ch = ch;
            this.requestHead = requestHead;
            this.onOpen = onOpen;
            this.onText = onText;
            this.onClosed = onClosed;
        }

        /** Thread-safe. */
        void send(String text) {
            if (Thread.currentThread() == loop) {
                enqueue(WsFrames.text(text));
            } else {
                ByteBuffer f = WsFrames.text(text);
                tasks.add(() -> enqueue(f));
                selector.wakeup();
            }
        }

        /**
         * Loop thread only: sends {@code prefix}, {@code value} in decimal and {@code suffix} as one text frame
         * without allocating when the socket takes it whole (the open-loop sender's path: its garbage would
         * otherwise become GC pauses, i.e. sender lag). Only what the socket does not take is copied and queued.
         */
        void sendText(byte[] prefix, long value, byte[] suffix) {
            if (closed) {
                return;
            }
            long v = Math.max(0, value);
            int digits = 1;
            for (long x = v; x >= 10; x /= 10) {
                digits++;
            }
            int len = prefix.length + digits + suffix.length;
            int header = WsFrames.headerLength(len);
            if (scratch.capacity() < header + 4 + len) {
                scratch = ByteBuffer.allocateDirect(header + 4 + len);
            }
            ByteBuffer b = scratch;
            b.clear();
            b.put((byte) 0x81);
            WsFrames.putMaskedLength(b, len);
            b.put(prefix);
            int end = b.position() + digits;
            for (int i = end - 1; i >= end - digits; i--) {
                b.put(i, (byte) ('0' + v % 10));
                v /= 10;
            }
            b.position(end);
            b.put(suffix);
            b.flip();
            if (open && out.isEmpty()) {
                try {
                    ch.write(b);
                } catch (IOException | RuntimeException e) {
                    fail();
                    return;
                }
                if (!b.hasRemaining()) {
                    return;
                }
            }
            ByteBuffer rest = ByteBuffer.allocate(b.remaining());
            rest.put(b).flip();
            out.add(rest);
            queuedBytes += rest.remaining();
            if (open) {
                key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        }

        private void enqueue(ByteBuffer f) {
            if (closed) {
                return;
            }
            out.add(f);
            queuedBytes += f.remaining();
            if (open) {
                flush();
            }
        }

        void flush() {
            try {
                while (!out.isEmpty()) {
                    ByteBuffer b = out.peek();
                    queuedBytes -= ch.write(b);
                    if (b.hasRemaining()) {
                        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                        return;
                    }
                    out.poll();
                }
                key.interestOps(SelectionKey.OP_READ);
            } catch (IOException | RuntimeException e) {
                fail();
            }
        }

        void close() {
            tasks.add(this::fail);
            selector.wakeup();
        }

        void fail() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            onClosed.accept(this);
        }
    }

    /** Starts a connection; callbacks run on the loop thread and get text payloads as UTF-8 bytes. */
    Conn connect(URI uri, Consumer<Conn> onOpen, BiConsumer<Conn, byte[]> onText, Consumer<Conn> onClosed) {
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String head = "GET " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        try {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Conn c = new Conn(ch, head, onOpen, onText, onClosed);
            c.connectStartNanos = System.nanoTime();
            tasks.add(() -> {
                try {
                    c.key = ch.register(selector, SelectionKey.OP_CONNECT, c);
                    ch.connect(new InetSocketAddress(uri.getHost(), uri.getPort()));
                } catch (IOException e) {
                    c.fail();
                }
            });
            selector.wakeup();
            return c;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Installs (or with null removes) the ticker; it first runs at once. Thread-safe. */
    void setTicker(Ticker t) {
        tasks.add(() -> {
            ticker = t;
            nextTick = t == null ? Long.MAX_VALUE : System.nanoTime();
        });
        selector.wakeup();
    }

    /** Runs {@code work} on the loop thread (to read state the loop owns). Thread-safe. */
    <T> java.util.concurrent.CompletableFuture<T> onLoop(java.util.function.Supplier<T> work) {
        java.util.concurrent.CompletableFuture<T> f = new java.util.concurrent.CompletableFuture<>();
        tasks.add(() -> {
            try {
                f.complete(work.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        selector.wakeup();
        return f;
    }

    /**
     * Waits for I/O but no later than the ticker's next deadline. epoll waits in whole milliseconds, so the
     * last millisecond before a deadline is waited with short parks between non-blocking selects (reads are
     * then delayed by at most ~0.1 ms) instead of oversleeping the deadline.
     */
    private void await() throws IOException {
        long wait = nextTick == Long.MAX_VALUE ? Long.MAX_VALUE : nextTick - System.nanoTime();
        if (wait <= 0) {
            selector.selectNow();
        } else if (wait >= 1_000_000) {
            selector.select(Math.min(100, wait / 1_000_000));
        } else if (selector.selectNow() == 0 && tasks.isEmpty()) {
            LockSupport.parkNanos(Math.min(wait, 100_000));
        }
    }

    private void tickIfDue() {
        if (ticker != null) {
            long now = System.nanoTime();
            if (now >= nextTick) {
                nextTick = ticker.tick(now);
            }
        }
    }

    private void run() {
        while (running) {
            try {
                await();
                Runnable t;
                while ((t = tasks.poll()) != null) {
                    t.run();
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    tickIfDue(); // a long batch of reads must not hold back the schedule
                    Conn c = (Conn) k.attachment();
                    if (!k.isValid()) {
                        c.fail();
                        continue;
                    }
                    try {
                        if (k.isConnectable()) {
                            c.ch.finishConnect();
                            c.out.addFirst(ByteBuffer.wrap(c.requestHead.getBytes(StandardCharsets.ISO_8859_1)));
                            c.key.interestOps(SelectionKey.OP_READ);
                            writeHead(c);
                        }
                        if (k.isValid() && k.isWritable()) {
                            if (c.open) {
                                c.flush();
                            } else {
                                writeHead(c);
                            }
                        }
                        if (k.isValid() && k.isReadable()) {
                            read(c);
                        }
                    } catch (IOException | RuntimeException e) {
                        c.fail();
                    }
                }
                tickIfDue();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void writeHead(Conn c) throws IOException {
        ByteBuffer head = c.out.peek();
        c.ch.write(head);
        if (head.hasRemaining()) {
            c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        } else {
            c.out.poll();
            c.key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void read(Conn c) throws IOException {
        readBuf.clear();
        int n = c.ch.read(readBuf);
        if (n < 0) {
            c.fail();
            return;
        }
        readBuf.flip();
        if (c.in.remaining() < readBuf.remaining()) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(c.in.capacity() * 2, c.in.position() + readBuf.remaining()));
            c.in.flip();
            bigger.put(c.in);
            c.in = bigger;
        }
        c.in.put(readBuf);
        c.in.flip();
        try {
            if (!c.open) {
                int end = WsFrames.indexOfHeadEnd(c.in);
                if (end < 0) {
                    return;
                }
                byte[] head = new byte[end];
                c.in.get(head);
                c.in.position(end + 4);
                String status = new String(head, 0, Math.min(head.length, 12), StandardCharsets.ISO_8859_1);
                if (!status.startsWith("HTTP/1.1 101")) {
                    c.fail();
                    return;
                }
                c.open = true;
                c.openNanos = System.nanoTime();
                c.onOpen.accept(c);
                c.flush();
            }
            parseFrames(c);
        } finally {
            c.in.compact();
        }
    }

    private void parseFrames(Conn c) {
        ByteBuffer b = c.in;
        while (b.remaining() >= 2) {
            int start = b.position();
            int b0 = b.get(start) & 0xff;
            int b1 = b.get(start + 1) & 0xff;
            long len = b1 & 0x7f;
            int header = 2;
            if (len == 126) {
                if (b.remaining() < 4) {
                    return;
                }
                len = b.getShort(start + 2) & 0xffff;
                header = 4;
            } else if (len == 127) {
                if (b.remaining() < 10) {
                    return;
                }
                len = b.getLong(start + 2);
                header = 10;
            }
            if (b.remaining() < header + len) {
                return;
            }
            byte[] payload = new byte[(int) len];
            b.position(start + header);
            b.get(payload);
            int opcode = b0 & 0x0f;
            if (opcode == 0x1) {
                c.onText.accept(c, payload); // raw UTF-8: the generator decodes only what it reads
            } else if (opcode == 0x9) {
                c.enqueue(WsFrames.frame(0xA, payload));
            } else if (opcode == 0x8) {
                c.fail();
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            loop.join(2000);
            for (SelectionKey k : selector.keys()) {
                k.channel().close();
            }
            selector.close();
        } catch (IOException | InterruptedException ignored) {
            // shutting down
        }
    }
}

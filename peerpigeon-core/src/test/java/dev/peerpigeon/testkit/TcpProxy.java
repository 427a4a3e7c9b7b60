package dev.peerpigeon.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy for fault injection between hubs (the per-link fault policies of the test kit, so
 * production code needs no hooks): {@link #stall()} stops forwarding at once in both directions (both sockets
 * stay open and the proxy keeps reading, like a hung path; what it read is {@linkplain #heldBytes() held}
 * until {@link #resume()}), {@link #delay(Duration)} holds every chunk for a while, {@link #cut()} drops every
 * connection, {@link #partition(boolean)} also refuses new ones until healed. A stalled direction holds at most
 * {@link #HOLD_LIMIT} bytes; beyond that the proxy stops reading too, so TCP pushes back on the sender like a
 * peer that stopped reading. Dial
 * {@code ws://127.0.0.1:<port()>} instead of the real hub.
 *
 * <p>Threads: one acceptor, and per connection and direction a reader (socket to queue) and a writer (queue
 * to socket, the only thread that writes that socket). Fault state is volatile, changed by the test thread;
 * the writers wait on {@code gate}.
 */
public final class TcpProxy implements AutoCloseable {
    /** Bytes one stalled direction of one connection holds before the proxy stops reading it. */
    public static final int HOLD_LIMIT = 64 * 1024;
    private static final byte[] EOF = new byte[0];

    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();
    private volatile boolean stalled;
    private volatile long delayNanos;
    private volatile boolean partitioned;
    private volatile boolean closed;

    public TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        Thread t = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    /** A proxy to a loopback port, for lambdas (an unchecked failure if it cannot listen). */
    public static TcpProxy to(int targetPort) {
        try {
            return new TcpProxy(targetPort);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Stops forwarding now: nothing read after this returns reaches the other side until {@link #resume()}. */
    public void stall() {
        stalled = true;
    }

    public void resume() {
        synchronized (gate) {
            stalled = false;
            gate.notifyAll();
        }
    }

    /** Holds every chunk this long before forwarding it (zero: none). */
    public void delay(Duration d) {
        delayNanos = d.toNanos();
    }

    /** Bytes the proxy has read and not forwarded yet (held by a stall or a delay). */
    public long heldBytes() {
        return held.get();
    }

    /** Bytes forwarded so far, both directions. */
    public long forwardedBytes() {
        return forwarded.get();
    }

    /** Drops every proxied connection now. */
    public void cut() {
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        sockets.clear();
    }

    /** A partition: cut, and refuse new connections until {@code partition(false)}. */
    public void partition(boolean on) {
        partitioned = on;
        if (on) {
            cut();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                if (partitioned) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket("127.0.0.1", targetPort);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private record Chunk(byte[] bytes, long readAt) {
    }

    private void pump(Socket from, Socket to) {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        AtomicLong queued = new AtomicLong(); // this direction's held bytes
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    held.addAndGet(n);
                    queued.addAndGet(n);
                    queue.add(new Chunk(Arrays.copyOf(buf, n), System.nanoTime()));
                    synchronized (gate) {
                        while (stalled && !closed && queued.get() >= HOLD_LIMIT) {
                            gate.wait(50);
                        }
                    }
                }
            } catch (IOException | InterruptedException ignored) {
                // connection ended
            } finally {
                queue.add(new Chunk(EOF, System.nanoTime()));
            }
        }, "tcp-proxy-read");
        Thread writer = new Thread(() -> {
            try (OutputStream out = to.getOutputStream()) {
                while (true) {
                    Chunk c = queue.take();
                    if (c.bytes() == EOF) {
                        break;
                    }
                    synchronized (gate) {
                        while (!closed) {
                            long due = c.readAt() + delayNanos - System.nanoTime();
                            if (!stalled && due <= 0) {
                                break;
                            }
                            gate.wait(stalled ? 50 : Math.max(1, due / 1_000_000));
                        }
                    }
                    out.write(c.bytes());
                    out.flush();
                    held.addAndGet(-c.bytes().length);
                    queued.addAndGet(-c.bytes().length);
                    forwarded.addAndGet(c.bytes().length);
                }
            } catch (IOException | InterruptedException ignored) {
                // connection ended
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "tcp-proxy-write");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        resume();
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        cut();
    }
}

package dev.peerpigeon.signaling;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connection admission limits: open connections per IP and in total, and new connections per IP per second
 * (token bucket, burst 2x).
 *
 * <p>Every TCP connection counts from its accept to its close ({@link #accepted} / {@link #released}, exactly
 * once each), before the upgrade too: half-sent requests take slots like everything else. Beyond twice a
 * limit a connection is refused at the accept (it could only be refused later anyway); within it, an upgrade
 * over the limit gets its HTTP answer from {@link #tryAdmit}.
 *
 * <p>Thread-safe: the total is an atomic counter; one small synchronized record per address, removed by the
 * maintenance thread's {@link #sweep} when idle (a removed record is marked so a racing accept retries).
 */
public final class IpLimiter {
    /** The words that mark the per-second refusal (told apart from the open-connections one by the metrics). */
    public static final String PER_SECOND = " per second";

    private final int maxOpen;
    private final int perSecond;
    private final int maxSockets;
    private final AtomicInteger sockets = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, State> states = new ConcurrentHashMap<>();

    /**
     * @param maxOpen        open connections per IP (0: unlimited)
     * @param perSecond      new connections per IP per second (0: unlimited)
     * @param maxConnections the server's connection limit; at most twice that many sockets are kept
     */
    public IpLimiter(int maxOpen, int perSecond, int maxConnections) {
        this.maxOpen = maxOpen;
        this.perSecond = perSecond;
        this.maxSockets = (int) Math.min(Integer.MAX_VALUE, 2L * maxConnections);
    }

    private static final class State {
        int open;
        double tokens;
        long last;
        boolean removed;
    }

    private boolean perIp() {
        return maxOpen > 0 || perSecond > 0;
    }

    private State state(InetAddress ip, long now) {
        return states.computeIfAbsent(ip, k -> {
            State n = new State();
            n.tokens = 2.0 * perSecond;
            n.last = now;
            return n;
        });
    }

    /**
     * A TCP connection from {@code ip} was accepted. Counts it and returns true, or returns false (counting
     * nothing) when it must be closed at once: more than twice the per-IP or the total limit is open.
     */
    public boolean accepted(InetAddress ip) {
        if (sockets.incrementAndGet() > maxSockets) {
            sockets.decrementAndGet();
            return false;
        }
        if (ip == null || !perIp()) {
            return true;
        }
        while (true) {
            State s = state(ip, System.nanoTime());
            synchronized (s) {
                if (s.removed) {
                    continue; // swept meanwhile: count on a fresh record
                }
                if (maxOpen > 0 && s.open >= 2L * maxOpen) {
                    sockets.decrementAndGet();
                    return false;
                }
                s.open++;
                return true;
            }
        }
    }

    /** A connection counted by {@link #accepted} closed. */
    public void released(InetAddress ip) {
        sockets.decrementAndGet();
        State s = ip == null ? null : states.get(ip);
        if (s != null) {
            synchronized (s) {
                s.open = Math.max(0, s.open - 1);
            }
        }
    }

    /** Open sockets counted (for tests and stats). */
    public int openSockets() {
        return sockets.get();
    }

    /** Open sockets counted for {@code ip}. */
    public int openFrom(InetAddress ip) {
        State s = states.get(ip);
        if (s == null) {
            return 0;
        }
        synchronized (s) {
            return s.open;
        }
    }

    /**
     * Null when the upgrade of a connection from {@code ip} (already counted by {@link #accepted}) may proceed,
     * else the reason it may not.
     */
    public String tryAdmit(InetAddress ip) {
        if (ip == null || !perIp()) {
            return null;
        }
        long now = System.nanoTime();
        State s = states.get(ip);
        if (s == null) {
            return null; // not counted (no address at accept): nothing to compare with
        }
        synchronized (s) {
            if (maxOpen > 0 && s.open > maxOpen) {
                return "Too many connections from your address (" + maxOpen + ")";
            }
            if (perSecond > 0) {
                s.tokens = Math.min(2.0 * perSecond, s.tokens + (now - s.last) * perSecond / 1e9);
                s.last = now;
                if (s.tokens < 1) {
                    return "Too many new connections from your address (" + perSecond + PER_SECOND + ")";
                }
                s.tokens -= 1;
            }
            return null;
        }
    }

    /**
     * Admits and counts a connection of {@code ip}, a client behind a trusted proxy (the proxy's own address is not
     * counted per IP at the accept): null when counted, else the reason it may not (nothing counted). The count
     * is held until {@link #releasedForwarded}.
     */
    public String admitForwarded(InetAddress ip) {
        if (ip == null || !perIp()) {
            return null;
        }
        while (true) {
            long now = System.nanoTime();
            State s = state(ip, now);
            synchronized (s) {
                if (s.removed) {
                    continue; // swept meanwhile: count on a fresh record
                }
                if (maxOpen > 0 && s.open >= maxOpen) {
                    return "Too many connections from your address (" + maxOpen + ")";
                }
                if (perSecond > 0) {
                    s.tokens = Math.min(2.0 * perSecond, s.tokens + (now - s.last) * perSecond / 1e9);
                    s.last = now;
                    if (s.tokens < 1) {
                        return "Too many new connections from your address (" + perSecond + " per second)";
                    }
                    s.tokens -= 1;
                }
                s.open++;
                return null;
            }
        }
    }

    /** A connection counted by {@link #admitForwarded} closed (or was refused after it). */
    public void releasedForwarded(InetAddress ip) {
        State s = ip == null || !perIp() ? null : states.get(ip);
        if (s != null) {
            synchronized (s) {
                s.open = Math.max(0, s.open - 1);
            }
        }
    }

    /** Drops records of addresses with no open connection and a full bucket. */
    public void sweep() {
        long now = System.nanoTime();
        states.entrySet().removeIf(e -> {
            State s = e.getValue();
            synchronized (s) {
                double tokens = Math.min(2.0 * perSecond, s.tokens + (now - s.last) * perSecond / 1e9);
                boolean idle = s.open == 0 && tokens >= 2.0 * perSecond;
                s.removed |= idle;
                return idle;
            }
        });
    }
}

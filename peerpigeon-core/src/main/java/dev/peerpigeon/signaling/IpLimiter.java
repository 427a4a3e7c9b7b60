package dev.peerpigeon.signaling;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-IP admission limits: open connections and new connections per second (token bucket, burst 2x).
 * Checked before the WebSocket upgrade. Thread-safe: one small synchronized record per address;
 * idle records are swept by the maintenance thread.
 */
public final class IpLimiter {
    private final int maxOpen;
    private final int perSecond;
    private final ConcurrentHashMap<InetAddress, State> states = new ConcurrentHashMap<>();

    public IpLimiter(int maxOpen, int perSecond) {
        this.maxOpen = maxOpen;
        this.perSecond = perSecond;
    }

    private static final class State {
        int open;
        double tokens;
        long last;
    }

    /** Null when a new connection from {@code ip} may proceed, else the reason it may not. */
    public String tryAdmit(InetAddress ip) {
        if (ip == null || (maxOpen == 0 && perSecond == 0)) {
            return null;
        }
        long now = System.nanoTime();
        State s = states.computeIfAbsent(ip, k -> {
            State n = new State();
            n.tokens = 2.0 * perSecond;
            n.last = now;
            return n;
        });
        synchronized (s) {
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
            return null;
        }
    }

    public void opened(InetAddress ip) {
        if (ip != null && (maxOpen > 0 || perSecond > 0)) {
            State s = states.computeIfAbsent(ip, k -> {
                State n = new State();
                n.tokens = 2.0 * perSecond;
                n.last = System.nanoTime();
                return n;
            });
            synchronized (s) {
                s.open++;
            }
        }
    }

    public void closed(InetAddress ip) {
        State s = ip == null ? null : states.get(ip);
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
                return s.open == 0 && tokens >= 2.0 * perSecond;
            }
        });
    }
}

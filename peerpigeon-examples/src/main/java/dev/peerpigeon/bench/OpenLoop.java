package dev.peerpigeon.bench;

import com.google.gson.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Open-loop relay load (W2/W4 with {@code rate=R}), the wrk2 way: message {@code i} of the run is due at
 * {@code t0 + i/R}, on pair {@code i % pairs} (alternately A to B and B to A), whatever happened to the
 * messages before it. No window: a slow server makes latency grow instead of slowing the sender down.
 * Latency is taken from the message's <em>intended</em> send time (carried in the frame as {@code ts=}), so
 * a sender that is late (busy, or held back by TCP back-pressure) adds its lateness to the figure instead of
 * hiding it (no coordinated omission); how late it was is reported separately as the sender lag.
 *
 * <p>Bounds: messages due in {@code [t0, t0 + warmup + seconds)} only; unsent ones are still sent, late,
 * until the drain deadline; each connection holds at most {@code maxQueuedBytes} of unwritten frames (more
 * waits, and counts as lag); the histograms are fixed-size.
 *
 * <p>Threads: all state is owned by the {@link NioWsClient} loop thread ({@link #tick} and {@link #onSignal}
 * run there); other threads read only the volatile progress fields, and the rest through
 * {@link NioWsClient#onLoop}.
 */
final class OpenLoop implements NioWsClient.Ticker {
    /** Latencies above this (10 minutes, in microseconds) are recorded as this. */
    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);
    private static final String[] TYPES = {"offer", "answer", "ice-candidate"};

    private final LoadPeer[] a;
    private final LoadPeer[] b;
    private final int pairs;
    private final long rate;
    private final long t0;
    private final long measureStart;
    private final long end;
    private final long drainDeadline;
    /** Messages of the whole run (warm-up included) and of the warm-up alone. */
    private final long total;
    private final long warmupMessages;
    private final long maxQueuedBytes;
    private final long lateNanos;
    /** Per pair: the index k of its next message; its global index is {@code k * pairs + p}. */
    private final long[] nextK;
    private final boolean[] dead;
    /** Per pair, direction (0: A to B) and type: the frame's bytes around its timestamp. */
    private final byte[][][][][] templates;

    private final Histogram latency = new Histogram(MAX_MICROS, 3);
    private final Histogram lag = new Histogram(MAX_MICROS, 3);
    private long sentMeasured;
    private long sentInWindow;
    private long receivedMeasured;
    private long receivedInWindow;
    private long lateSends;
    private long serverErrors;

    /** The most unwritten bytes one connection held after a send (bounded by maxQueuedBytes + one frame). */
    volatile long queuedBytesMax;
    volatile long sentTotal;
    volatile long receivedTotal;
    /** Every message of the schedule has been sent (or every pair has lost a connection). */
    volatile boolean sendingDone;

    OpenLoop(List<LoadPeer> peers, long rate, long t0, int warmupSeconds, int seconds, int drainSeconds,
             long maxQueuedBytes, double lateMs) {
        if (rate <= 0) {
            throw new IllegalArgumentException("rate must be > 0");
        }
        this.pairs = peers.size() / 2;
        this.a = new LoadPeer[pairs];
        this.b = new LoadPeer[pairs];
        for (int p = 0; p < pairs; p++) {
            a[p] = peers.get(2 * p);
            b[p] = peers.get(2 * p + 1);
        }
        this.rate = rate;
        this.t0 = t0;
        this.measureStart = t0 + TimeUnit.SECONDS.toNanos(warmupSeconds);
        this.end = measureStart + TimeUnit.SECONDS.toNanos(seconds);
        this.drainDeadline = end + TimeUnit.SECONDS.toNanos(drainSeconds);
        this.warmupMessages = rate * warmupSeconds;
        this.total = rate * (warmupSeconds + (long) seconds);
        this.maxQueuedBytes = maxQueuedBytes;
        this.lateNanos = (long) (lateMs * 1_000_000);
        this.nextK = new long[pairs];
        this.dead = new boolean[pairs];
        this.templates = new byte[pairs][2][TYPES.length][][];
        for (int p = 0; p < pairs; p++) {
            for (int t = 0; t < TYPES.length; t++) {
                templates[p][0][t] = SignalFrames.template(a[p], TYPES[t], b[p].peerId);
                templates[p][1][t] = SignalFrames.template(b[p], TYPES[t], a[p].peerId);
            }
        }
    }

    long measureStartNanos() {
        return measureStart;
    }

    long endNanos() {
        return end;
    }

    long drainDeadlineNanos() {
        return drainDeadline;
    }

    private long intended(long i) {
        return t0 + i * 1_000_000_000L / rate; // exact: no drift over the run
    }

    @Override
    public long tick(long now) {
        if (now >= drainDeadline || sendingDone) {
            return Long.MAX_VALUE;
        }
        long next = Long.MAX_VALUE;
        boolean pending = false;
        for (int p = 0; p < pairs; p++) {
            if (dead[p]) {
                continue;
            }
            while (true) {
                long k = nextK[p];
                long i = k * pairs + p;
                if (i >= total) {
                    break;
                }
                long due = intended(i);
                if (due > now) {
                    pending = true;
                    next = Math.min(next, due);
                    break;
                }
                boolean forward = (k & 1) == 0;
                LoadPeer from = forward ? a[p] : b[p];
                NioWsClient.Conn c = from.conn;
                if (from.closed || c == null || c.closed) {
                    dead[p] = true; // counted by the caller as a closed connection; its messages as unsent
                    break;
                }
                if (c.queuedBytes > maxQueuedBytes) {
                    // TCP back-pressure: wait for the socket to drain (the write interest wakes the loop);
                    // the wait shows up as lag and latency, not as a smaller offered load.
                    pending = true;
                    next = Math.min(next, now + 1_000_000);
                    break;
                }
                long sendAt = System.nanoTime();
                byte[][] frame = templates[p][forward ? 0 : 1][(int) (k % 3)];
                c.sendText(frame[0], due, frame[1]); // "ts=<due>": latency counts from the intended time
                if (c.queuedBytes > queuedBytesMax) {
                    queuedBytesMax = c.queuedBytes;
                }
                nextK[p] = k + 1;
                sentTotal++;
                if (i >= warmupMessages) {
                    long late = sendAt - due;
                    sentMeasured++;
                    if (sendAt < end) {
                        sentInWindow++;
                    }
                    lag.recordValue(Math.min(MAX_MICROS, late / 1000));
                    if (late > lateNanos) {
                        lateSends++;
                    }
                }
            }
        }
        if (!pending) {
            sendingDone = true;
            return Long.MAX_VALUE;
        }
        return next;
    }

    /** A relayed offer/answer/ice-candidate arrived (loop thread). */
    void onSignal(byte[] frame) {
        long now = System.nanoTime();
        receivedTotal++;
        if (now >= measureStart && now < end) {
            receivedInWindow++;
        }
        long due = LoadPeer.longAfter(frame, "ts=");
        if (due >= measureStart) {
            receivedMeasured++;
            latency.recordValue(Math.max(0, Math.min(MAX_MICROS, (now - due) / 1000)));
        }
    }

    /** The server answered something with an error frame (loop thread). */
    void onError() {
        serverErrors++;
    }

    /** The figures of the measured part of the run (loop thread: call through {@link NioWsClient#onLoop}). */
    JsonObject result(int seconds) {
        JsonObject r = new JsonObject();
        r.addProperty("mode", "open-loop");
        r.addProperty("offeredRate", rate);
        r.addProperty("scheduled", total - warmupMessages);
        r.addProperty("sent", sentMeasured);
        r.addProperty("received", receivedMeasured);
        r.addProperty("unsent", total - sentTotal);
        r.addProperty("lost", Math.max(0, sentTotal - receivedTotal));
        r.addProperty("sentPerSecond", Math.round(sentInWindow / (double) seconds));
        r.addProperty("receivedPerSecond", Math.round(receivedInWindow / (double) seconds));
        // The closed-loop names, so the benchmark's per-CPU-second figure works for both modes.
        r.addProperty("relayedMessages", receivedInWindow);
        r.addProperty("msgsPerSecond", Math.round(receivedInWindow / (double) seconds));
        r.addProperty("latencyP50Ms", ms(latency.getValueAtPercentile(50)));
        r.addProperty("latencyP90Ms", ms(latency.getValueAtPercentile(90)));
        r.addProperty("latencyP99Ms", ms(latency.getValueAtPercentile(99)));
        r.addProperty("latencyP999Ms", ms(latency.getValueAtPercentile(99.9)));
        r.addProperty("latencyMaxMs", ms(latency.getMaxValue()));
        r.addProperty("latencyMeanMs", LoadGenerator.round(latency.getMean() / 1000.0));
        r.addProperty("senderLagP99Ms", ms(lag.getValueAtPercentile(99)));
        r.addProperty("senderLagMaxMs", ms(lag.getMaxValue()));
        r.addProperty("lateSends", lateSends);
        r.addProperty("lateThresholdMs", lateNanos / 1e6);
        r.addProperty("clientQueuedBytesMax", queuedBytesMax);
        r.addProperty("serverErrors", serverErrors);
        return r;
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }
}

package dev.peerpigeon.bench;

import com.google.gson.JsonObject;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.TcpProxy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** The load generator's open-loop mode (W2 rate=R) against an in-process server. */
class OpenLoopTest {

    private static JsonObject run(PeerPigeonServer server, LoadGenerator g) throws InterruptedException {
        return g.relay("W2", "ws://127.0.0.1:" + server.getPort(), "ws://127.0.0.1:" + server.getPort(), 3, 2, false);
    }

    private static LoadGenerator generator() {
        return new LoadGenerator(Map.of("rate", "500", "drain", "10", "timeout", "30"));
    }

    @Test
    void openLoopReportsPercentilesLagAndLosesNothing() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start();
             LoadGenerator g = generator()) {
            JsonObject r = run(server, g);

            assertThat(r.get("mode").getAsString()).isEqualTo("open-loop");
            assertThat(r.get("discovered").getAsBoolean()).isTrue();
            assertThat(r.get("offeredRate").getAsLong()).isEqualTo(500);
            assertThat(r.get("errors").getAsLong()).as(r.toString()).isZero();
            // 500/s for 2 s: every scheduled message was sent, and every sent one arrived.
            assertThat(r.get("scheduled").getAsLong()).isEqualTo(1000);
            assertThat(r.get("sent").getAsLong()).isEqualTo(1000);
            assertThat(r.get("received").getAsLong()).isEqualTo(r.get("sent").getAsLong());
            assertThat(r.get("unsent").getAsLong()).isZero();
            assertThat(r.get("lost").getAsLong()).isZero();
            assertThat(r.get("receivedPerSecond").getAsLong()).isPositive();
            double p50 = r.get("latencyP50Ms").getAsDouble();
            double p90 = r.get("latencyP90Ms").getAsDouble();
            double p99 = r.get("latencyP99Ms").getAsDouble();
            double p999 = r.get("latencyP999Ms").getAsDouble();
            double max = r.get("latencyMaxMs").getAsDouble();
            assertThat(p50).isPositive();
            assertThat(p90).isGreaterThanOrEqualTo(p50);
            assertThat(p99).isGreaterThanOrEqualTo(p90);
            assertThat(p999).isGreaterThanOrEqualTo(p99);
            assertThat(max).isGreaterThanOrEqualTo(p999);
            assertThat(r.get("senderLagP99Ms").getAsDouble()).isNotNegative();
            assertThat(r.get("senderLagMaxMs").getAsDouble()).isGreaterThanOrEqualTo(r.get("senderLagP99Ms").getAsDouble());
            assertThat(r.get("lateSends").getAsLong()).isBetween(0L, 1000L);
            assertThat(r.has("lateThresholdMs")).isTrue();
        }
    }

    /**
     * No coordinated omission: a sender held up for 300 ms sends the messages that fell due meanwhile late,
     * and their latency (from the intended send time) includes the 300 ms. Lower bounds only: the stall
     * guarantees them whatever the machine's speed.
     */
    @Test
    void aStalledSenderShowsAsLagAndLatency() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start();
             LoadGenerator g = generator()) {
            CompletableFuture<JsonObject> result = CompletableFuture.supplyAsync(() -> {
                try {
                    return run(server, g);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until("open loop sending", Duration.ofSeconds(20), () -> g.current != null && g.current.sentTotal >= 100);
            // The stimulus, not a wait: hold the generator's loop thread (its only sender) for 300 ms.
            g.client.onLoop(() -> {
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                while (System.nanoTime() < until) {
                    LockSupport.parkNanos(until - System.nanoTime());
                }
                return null;
            }).get(10, TimeUnit.SECONDS);
            JsonObject r = result.get(60, TimeUnit.SECONDS);

            assertThat(r.get("errors").getAsLong()).as(r.toString()).isZero();
            assertThat(r.get("received").getAsLong()).isEqualTo(r.get("sent").getAsLong()).isEqualTo(1000);
            // ~150 messages fell due during the stall (500/s); the first of them waited ~300 ms.
            assertThat(r.get("lateSends").getAsLong()).as(r.toString()).isGreaterThanOrEqualTo(100);
            assertThat(r.get("senderLagMaxMs").getAsDouble()).as(r.toString()).isGreaterThanOrEqualTo(290);
            assertThat(r.get("latencyMaxMs").getAsDouble()).as(r.toString()).isGreaterThanOrEqualTo(290);
        }
    }

    /**
     * Memory stays bounded when the server stops reading: the sender holds at most {@code maxQueuedBytes}
     * (plus one frame) per connection and waits, late, instead of queueing without limit; after the server
     * resumes, everything scheduled is sent and arrives.
     */
    @Test
    void aServerThatStopsReadingHoldsTheSenderWithinItsQueueBound() throws Exception {
        int cap = 64 * 1024;
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").maxMessagesPerSecond(0, 0)
                .build().start();
             TcpProxy proxy = new TcpProxy(server.getPort());
             LoadGenerator g = new LoadGenerator(Map.of("rate", "20000", "drain", "30", "timeout", "30",
                     "maxQueuedBytes", Integer.toString(cap)))) {
            String url = "ws://127.0.0.1:" + proxy.port();
            CompletableFuture<JsonObject> result = CompletableFuture.supplyAsync(() -> {
                try {
                    return g.relay("W2", url, url, 2, 2, false);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until("open loop sending", Duration.ofSeconds(20), () -> g.current != null && g.current.sentTotal >= 1000);
            proxy.stall();
            Await.until("the sender held back by TCP", Duration.ofSeconds(20), () -> g.current.queuedBytesMax > 0);
            proxy.resume();
            JsonObject r = result.get(60, TimeUnit.SECONDS);

            assertThat(r.get("errors").getAsLong()).as(r.toString()).isZero();
            assertThat(r.get("sent").getAsLong()).isEqualTo(40_000);
            assertThat(r.get("received").getAsLong()).isEqualTo(40_000);
            assertThat(r.get("clientQueuedBytesMax").getAsLong()).as(r.toString()).isPositive().isLessThanOrEqualTo(cap + 2048);
            assertThat(r.get("lateSends").getAsLong()).as(r.toString()).isPositive();
        }
    }
}

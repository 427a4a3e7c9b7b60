package dev.peerpigeon.hardening;

import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.ForkedServer;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attacks on the server's memory, each against a server with the default configuration in a JVM of its
 * own with a 128 MB heap: every attack below sends or provokes far more than 128 MB, and the server
 * keeps serving (health endpoint, two bystanders relaying) because every byte it holds per connection
 * is bounded.
 */
class MemoryAttackTest {
    private static final String HEAP = "-Xmx128m";
    private static final int MIB = 1024 * 1024;

    /** The server survived: it answers /health and relays an offer between two fresh peers. */
    private static void serverStillServes(ForkedServer server) throws IOException {
        assertThat(server.isAlive()).as("server process alive").isTrue();
        String health = RawHttp.get(server.port(), "/health");
        assertThat(RawHttp.status(health)).as("/health after the attack; server log:\n%s", server.output()).isEqualTo(200);
        TestClient a = TestClient.connect(server.port()).announce("bystanders");
        TestClient b = TestClient.connect(server.port()).announce("bystanders");
        a.awaitDiscovered(b.peerId());
        a.offer(b.peerId(), "v=0 a to b");
        b.await("offer a->b", o -> TestClient.isType(o, "offer") && a.peerId().equals(o.get("fromPeerId").getAsString()));
        b.offer(a.peerId(), "v=0 b to a");
        a.await("offer b->a", o -> TestClient.isType(o, "offer") && b.peerId().equals(o.get("fromPeerId").getAsString()));
        a.close();
        b.close();
    }

    /**
     * Closes {@code socket} after {@code seconds}: a write to a server that stopped reading (today's build
     * after an out-of-memory error keeps its sockets but serves nothing) then fails instead of blocking.
     */
    private static java.util.concurrent.ScheduledFuture<?> deadline(RawWebSocket socket, int seconds) {
        return WATCHDOG.schedule(() -> {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already closed
            }
        }, seconds, TimeUnit.SECONDS);
    }

    private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "memory-attack-watchdog");
                t.setDaemon(true);
                return t;
            });

    private static String announce(String network) {
        return "{\"type\":\"announce\",\"data\":{},\"networkName\":\"" + network + "\"}";
    }

    @Test
    void fragmentsOfAMessageThatNeverFinishesAreRefusedWith1009() throws Exception {
        try (ForkedServer server = ForkedServer.start(HEAP);
             RawWebSocket attacker = new RawWebSocket(server.port(), "/?peerId=" + PeerId.generate())) {
            CompletableFuture<Integer> closeCode = CompletableFuture.supplyAsync(() -> {
                try {
                    return attacker.awaitCloseCode(60_000, f -> { });
                } catch (IOException e) {
                    return -1;
                }
            });
            byte[] fragment = new byte[MIB - 16]; // each one within the frame limit; together 200 MB
            java.util.concurrent.ScheduledFuture<?> watchdog = deadline(attacker, 60);
            try {
                attacker.sendFrame(1, false, fragment);
                for (int i = 0; i < 200 && !closeCode.isDone(); i++) {
                    attacker.sendFrame(0, false, fragment);
                }
            } catch (IOException closed) {
                // the server dropped the connection while we were sending
            }
            watchdog.cancel(false);
            assertThat(closeCode.get(30, TimeUnit.SECONDS)).as("close code; server log:\n%s", server.output()).isEqualTo(1009);
            serverStillServes(server);
        }
    }

    @Test
    void aPingFloodFromASocketThatNeverReadsIsBounded() throws Exception {
        try (ForkedServer server = ForkedServer.start(HEAP);
             RawWebSocket attacker = new RawWebSocket(server.port(), "/?peerId=" + PeerId.generate())) {
            attacker.setReceiveBuffer(4096);
            byte[] ping = RawWebSocket.encodeFrame(9, true, new byte[125], true);
            byte[] batch = new byte[ping.length * 10_000];
            for (int i = 0; i < 10_000; i++) {
                System.arraycopy(ping, 0, batch, i * ping.length, ping.length);
            }
            java.util.concurrent.ScheduledFuture<?> watchdog = deadline(attacker, 60);
            try {
                for (int i = 0; i < 100; i++) { // a million pings (131 MB), never reading a pong
                    attacker.sendRaw(batch);
                }
            } catch (IOException dropped) {
                // the server dropped the connection
            }
            assertThat(watchdog.cancel(false)).as("flood finished before the deadline; server log:\n%s", server.output()).isTrue();
            // Reading now: the pongs of the rate's burst, then the server's close frame (rate limit) or the
            // end of the connection (slow consumer) — never an unbounded backlog.
            AtomicInteger pongs = new AtomicInteger();
            int code = attacker.awaitCloseCode(30_000, f -> {
                if (f.opcode() == 10) {
                    pongs.incrementAndGet();
                }
            });
            assertThat(code).as("close code; server log:\n%s", server.output()).isIn(1008, -1);
            assertThat(pongs.get()).isLessThan(100_000);
            serverStillServes(server);
        }
    }

    @Test
    void pausedReceiversOfBigOffersAreDroppedAsSlowConsumers() throws Exception {
        try (ForkedServer server = ForkedServer.start(HEAP)) {
            List<RawWebSocket> paused = new ArrayList<>();
            List<String> pausedIds = new ArrayList<>();
            try {
                TestClient watcher = TestClient.connect(server.port()).announce("fanout").quiet();
                for (int i = 0; i < 6; i++) {
                    String id = PeerId.generate();
                    RawWebSocket r = new RawWebSocket(server.port(), "/?peerId=" + id);
                    r.setReceiveBuffer(4096);
                    r.sendText(announce("fanout"));
                    paused.add(r);
                    pausedIds.add(id);
                }
                String senderId = PeerId.generate();
                // The sender reads what it gets (errors once its targets are gone): a sender that never read with
                // the test kit's 4 KB receive buffer stalled its own upload in TCP retransmission backoff (1 run in 5).
                try (RawWebSocket sender = new RawWebSocket(server.port(), "/?peerId=" + senderId).drainInBackground()) {
                    sender.sendText(announce("fanout"));
                    // Its welcome, then the six receivers and the sender discovered.
                    Await.until("receivers announced", Duration.ofSeconds(10), () -> watcher.framesReceived() >= 8);
                    String sdp = "s".repeat(MIB - 400);
                    java.util.concurrent.ScheduledFuture<?> watchdog = deadline(sender, 240); // ~8 s on a quiet box; generous because a loaded 2-core CI box is much slower
                    try {
                        // 30 offers of 1 MiB to each of 6 receivers that never read: 180 MB to hold
                        for (int round = 0; round < 30; round++) {
                            for (String target : pausedIds) {
                                sender.sendText("{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" + sdp
                                        + "\"},\"networkName\":\"fanout\",\"targetPeerId\":\"" + target + "\"}");
                            }
                        }
                    } catch (IOException dropped) {
                        // the server went away (today's build: out of memory)
                    }
                    assertThat(watchdog.cancel(false)).as("offers sent before the deadline; server log:\n%s", server.output()).isTrue();
                }
                watcher.close();
                // Each paused receiver was dropped (its queue past maxQueuedBytes): its connection ends.
                for (RawWebSocket r : paused) {
                    assertThat(r.awaitServerClose(30_000)).as("paused receiver dropped; server log:\n%s", server.output()).isTrue();
                }
            } finally {
                for (RawWebSocket r : paused) {
                    r.close();
                }
            }
            serverStillServes(server);
        }
    }
}

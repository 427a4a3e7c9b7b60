package dev.peerpigeon.transport;

import com.google.gson.JsonParser;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11 item 1: every frame to one connection leaves through one queue with one writer. A client pings
 * rapidly (answered by pongs) while several senders fan large offers into it and it finally closes (the
 * library's close reply), while peers join and leave (notices fanned out to it, written directly by their
 * senders): every frame it reads must have a valid header and an intact payload, and the
 * close must come back as a close frame after the data.
 */
class WritePathRaceTest {

    private static String announce(String network) {
        return "{\"type\":\"announce\",\"data\":{},\"networkName\":\"" + network + "\"}";
    }

    @Test
    void pingsPongsDataAndCloseNeverInterleaveOnTheWire() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxMessageSize(256 * 1024).maxMessagesPerSecond(1_000_000, 1_000_000)
                .maxConnectionsPerIpPerSecond(100_000).build().start()) {
            // Windows keep the victim within its send bounds: the test is about order on the wire, not overflow.
            Semaphore offers = new Semaphore(32);
            Semaphore pings = new Semaphore(16);
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            String id = PeerId.generate();
            List<TestClient> senders = new ArrayList<>();
            try (RawWebSocket victim = new RawWebSocket(server.getPort(), "/?peerId=" + id)) {
                victim.setReceiveBuffer(256 * 1024);
                victim.sendText(announce("n1"));
                by.a().awaitDiscovered(id);
                for (int i = 0; i < 4; i++) {
                    TestClient s = TestClient.connect(server.getPort()).announce("n1").quiet();
                    senders.add(s);
                }
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> threads = new ArrayList<>();
                String sdp = "v=0 " + "x".repeat(60_000); // over one kernel write: direct writes are partial
                for (TestClient s : senders) {
                    Thread t = new Thread(() -> {
                        try {
                            while (!stop.get() && s.isOpen()) {
                                if (offers.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                                    s.offer(id, sdp);
                                }
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    t.setDaemon(true);
                    threads.add(t);
                }
                // Peers joining and leaving meanwhile: their notices fan out to the victim, written directly by the
                // sender's thread when its queue is empty, between the queued offers (partly written, 60 KB each).
                Thread churn = new Thread(() -> {
                    while (!stop.get()) {
                        TestClient c = TestClient.connect(server.getPort()).announce("n1").quiet();
                        c.close();
                    }
                });
                churn.setDaemon(true);
                threads.add(churn);
                // The reader validates every header and payload until the server's close frame.
                CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
                    int texts = 0;
                    try {
                        for (RawWebSocket.Frame f = victim.readFrame(); f != null; f = victim.readFrame()) {
                            switch (f.opcode()) {
                                case 1 -> {
                                    String text = new String(f.payload(), StandardCharsets.UTF_8);
                                    String type = JsonParser.parseString(text).getAsJsonObject() // throws on a torn payload
                                            .get("type").getAsString();
                                    texts++;
                                    if (type.equals("offer")) {
                                        offers.release();
                                    }
                                }
                                case 10 -> {
                                    pings.release();
                                    if (!new String(f.payload(), StandardCharsets.US_ASCII).startsWith("p")) {
                                        return "bad pong payload";
                                    }
                                }
                                case 9 -> { }
                                case 8 -> {
                                    return f.closeCode() == 1000 ? "closed after " + texts : "close code " + f.closeCode();
                                }
                                default -> {
                                    return "bad opcode " + f.opcode() + " after " + texts + " text frames";
                                }
                            }
                        }
                        return "connection ended without a close frame after " + texts;
                    } catch (Exception e) {
                        return "bad frame after " + texts + " text frames: " + e;
                    }
                });
                threads.forEach(Thread::start);
                byte[] ping = RawWebSocket.encodeFrame(9, true, "p123456789".getBytes(StandardCharsets.US_ASCII), true);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                int sent = 0;
                while (System.nanoTime() < until && !reader.isDone()) {
                    if (pings.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        victim.sendRaw(ping);
                        sent++;
                    }
                }
                assertThat(reader.isDone()).as("reader ended early: %s", reader.getNow(null)).isFalse();
                assertThat(sent).isGreaterThan(100);
                victim.sendFrame(8, true, new byte[] {0x03, (byte) 0xe8}); // 1000: the library answers
                String result = reader.get(30, TimeUnit.SECONDS);
                stop.set(true);
                for (Thread t : threads) {
                    t.join(10_000);
                }
                assertThat(result).startsWith("closed after ");
                assertThat(Integer.parseInt(result.substring("closed after ".length()))).isPositive();
            } finally {
                senders.forEach(TestClient::close);
            }
            by.relayBothWays();
            by.close();
        }
    }
}

package dev.peerpigeon.hardening;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends over 100 000 random and mutated frames (wrong types, deep nesting, huge strings, invalid UTF-8,
 * binary, fragmented and broken frames) and malformed HTTP upgrade requests, while two bystanders keep
 * relaying. The server must stay up, every bystander relay must arrive, and the heap must come back.
 * Bounded to about 20 s; {@code -Dfuzz.frames=N} runs longer.
 */
class FuzzTest {
    private static final int FRAMES = Integer.getInteger("fuzz.frames", 100_000);
    private static final List<String> SEEDS = List.of(
            "{\"type\":\"announce\",\"data\":{\"peerId\":\"%ID%\"},\"maxPeers\":3,\"networkName\":\"n1\"}",
            "{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"v=0 fuzz\"},\"maxPeers\":3,\"networkName\":\"n1\",\"targetPeerId\":\"%T%\"}",
            "{\"type\":\"answer\",\"data\":{\"type\":\"answer\",\"sdp\":\"v=0 fuzz\"},\"networkName\":\"n1\",\"targetPeerId\":\"%T%\"}",
            "{\"type\":\"ice-candidate\",\"data\":{\"candidate\":\"c\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0},\"networkName\":\"n1\",\"targetPeerId\":\"%T%\"}",
            "{\"type\":\"goodbye\",\"data\":{\"peerId\":\"%ID%\",\"timestamp\":1}}",
            "{\"type\":\"ping\",\"data\":{}}",
            "{\"type\":\"cleanup-all\",\"data\":{}}",
            "{\"type\":\"peer-discovered\",\"data\":{\"peerId\":\"%T%\"},\"networkName\":\"n1\"}",
            "{\"type\":\"connection-rejected\",\"data\":{\"reason\":\"max_peers_reached\"},\"targetPeerId\":\"%T%\"}");
    private static final String[] WEIRD = {"null", "true", "1e999", "-0", "[]", "{}", "\"\\u0000\"", "\"\\ud800\"",
            "12345678901234567890", "{\"a\":[1,{\"b\":null}]}", "\"" + "é".repeat(50) + "\""};

    private final Random rnd = new Random(20261124);

    private String mutate(String frame) {
        switch (rnd.nextInt(10)) {
            case 0: { // flip bytes
                char[] c = frame.toCharArray();
                for (int i = 0; i < 1 + rnd.nextInt(4); i++) {
                    c[rnd.nextInt(c.length)] = (char) (32 + rnd.nextInt(95));
                }
                return new String(c);
            }
            case 1:
                return frame.substring(0, rnd.nextInt(frame.length()));
            case 2: // wrong type for a field
                return frame.replaceFirst("\"n1\"", WEIRD[rnd.nextInt(WEIRD.length)])
                        .replaceFirst("\"targetPeerId\":\"[0-9a-f]+\"", "\"targetPeerId\":" + WEIRD[rnd.nextInt(WEIRD.length)]);
            case 3: { // deep nesting
                int depth = 1 + rnd.nextInt(3000);
                return "{\"type\":\"offer\",\"data\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
            }
            case 4: // huge string
                return frame.replace("v=0 fuzz", "v=0 " + "z".repeat(rnd.nextInt(200_000)));
            case 5:
                return WEIRD[rnd.nextInt(WEIRD.length)];
            case 6: // unknown or odd types
                return frame.replaceFirst("\"type\":\"[a-z-]+\"", "\"type\":\"" + (rnd.nextBoolean() ? "x".repeat(rnd.nextInt(300)) : "__proto__") + "\"");
            case 7: // duplicated keys and extra fields
                return frame.replace("{\"type\"", "{\"fromPeerId\":\"" + "ab".repeat(20) + "\",\"type\":\"ping\",\"type\"");
            default:
                return frame;
        }
    }

    @Test
    void serverSurvivesFuzzingAndBystandersKeepRelaying() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxMessagesPerSecond(0, 0).maxConnections(5000).build().start()) {
            TestClient a = TestClient.connect(server.getPort()).announce("n1");
            TestClient b = TestClient.connect(server.getPort()).announce("n1");
            a.awaitDiscovered(b.peerId());
            long heapBefore = usedHeapAfterGc();

            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // about 4 s on a loaded CI box
            int sent = 0;
            int relays = 0;
            TestClient fuzzer = TestClient.connect(server.getPort()).quiet();
            while (sent < FRAMES && System.nanoTime() < deadline) {
                if (!fuzzer.isOpen()) {
                    fuzzer = TestClient.connect(server.getPort()).quiet();
                }
                String seed = SEEDS.get(rnd.nextInt(SEEDS.size())).replace("%ID%", fuzzer.peerId())
                        .replace("%T%", rnd.nextBoolean() ? a.peerId() : PeerId.generate());
                try {
                    if (rnd.nextInt(20) == 0) {
                        fuzzer.sendBinary(mutate(seed).getBytes(StandardCharsets.UTF_8));
                    } else {
                        fuzzer.send(mutate(seed));
                    }
                } catch (RuntimeException closedMeanwhile) {
                    continue;
                }
                sent++;
                if (sent % 2000 == 0) {
                    rawFrameAbuse(server.getPort());
                    malformedUpgrade(server.getPort());
                    a.offer(b.peerId(), "v=0 bystander " + relays);
                    relays++;
                    // Backpressure: let the server catch up with the fuzzer now and then.
                    fuzzer.sync();
                }
            }
            fuzzer.close();
            int expected = relays;
            Await.until("every bystander relay arrived", Duration.ofSeconds(20), () -> b.ofType("offer").stream()
                    .filter(o -> o.getAsJsonObject("data").get("sdp").getAsString().startsWith("v=0 bystander")).count() == expected);
            assertThat(sent).as("frames sent within the time bound").isGreaterThanOrEqualTo(Math.min(FRAMES, 100_000));
            assertThat(server.isRunning()).isTrue();
            assertThat(RawHttp.status(RawHttp.get(server.getPort(), "/health"))).isEqualTo(200);
            b.offer(a.peerId(), "v=0 after the fuzzing");
            a.await("answer after fuzz", o -> TestClient.isType(o, "offer"));
            Await.until("fuzz connections cleaned up", Duration.ofSeconds(20), () -> server.getStats().connections() == 2);
            a.clear(); // what the test clients recorded is not the server's memory
            b.clear();
            long heapAfter = usedHeapAfterGc();
            System.out.printf("fuzz: %d frames, %d bystander relays, heap before %d KB, after %d KB%n", sent, relays,
                    heapBefore / 1024, heapAfter / 1024);
            assertThat(heapAfter).as("heap returns to baseline").isLessThan(heapBefore + 32L * 1024 * 1024);
            a.close();
            b.close();
        }
    }

    /** Broken frames on a raw socket: invalid UTF-8 text, bad opcodes, unfinished fragments, truncated frames. */
    private void rawFrameAbuse(int port) throws IOException {
        try (RawWebSocket raw = new RawWebSocket(port, "/?peerId=" + PeerId.generate())) {
            switch (rnd.nextInt(5)) {
                case 0 -> raw.sendFrame(1, true, new byte[]{'{', (byte) 0xC3, (byte) 0x28, '}'});
                case 1 -> raw.sendFrame(3 + rnd.nextInt(4), true, "{}".getBytes(StandardCharsets.UTF_8));
                case 2 -> raw.sendFrame(1, false, "{\"type\":".getBytes(StandardCharsets.UTF_8));
                case 3 -> raw.sendFrame(2, true, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8));
                default -> raw.sendFrame(9, true, new byte[200]); // an oversize control frame
            }
        }
    }

    private void malformedUpgrade(int port) throws IOException {
        String[] heads = {
                "GET /?peerId=" + PeerId.generate() + " HTTP/1.1\r\nHost: a b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                "\u0000\u0001\u0002garbage\r\n\r\n",
                "GET / HTTP/1.1\r\n" + "X: y\r\n".repeat(3000) + "\r\n",
                "POST /health HTTP/1.1\r\nContent-Length: 99999\r\n\r\npartial",
                "GET /?peerId=" + "%zz".repeat(20) + " HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x"};
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write(heads[rnd.nextInt(heads.length)].getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }
}

package dev.peerpigeon.hardening;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client closed for what it sends while it is still sending reads the close frame and its code, every time:
 * the server lingers on the closed socket (FIN after the close frame, reading and discarding what still arrives)
 * instead of closing it with unread bytes, which would send a TCP reset that destroys the close frame in the
 * client's receive buffer. Two bystanders keep relaying.
 */
class LingeringCloseTest {

    private static void relayStillWorks(TestClient a, TestClient b) {
        int before = b.ofType("offer").size();
        a.offer(b.peerId(), "v=0 bystander " + before);
        Await.until("bystander relay", () -> b.ofType("offer").size() > before);
    }

    /**
     * Writes {@code frame} {@code times} times without reading (what the server sends meanwhile fills this
     * client's small receive buffer, so the server's close frame waits in the server's send queue); returns the
     * write error, or null when every write went through.
     */
    private static IOException flood(RawWebSocket raw, byte[] frame, int times) {
        try {
            for (int i = 0; i < times; i++) {
                raw.sendRaw(frame);
            }
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    @Test
    void aClientFloodingPastTheMessageRateAlwaysReadsItsCloseCode1008() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxMessagesPerSecond(50, 100).build().start()) {
            TestClient a = TestClient.connect(server.getPort()).announce("n1");
            TestClient b = TestClient.connect(server.getPort()).announce("n1");
            a.awaitDiscovered(b.peerId());
            // 125-byte pings: the pongs of the burst (100 x 127 bytes) overflow the flooder's 4 KB receive buffer.
            byte[] ping = RawWebSocket.encodeFrame(9, true, new byte[125], true);
            byte[] batch = new byte[ping.length * 100];
            for (int i = 0; i < 100; i++) {
                System.arraycopy(ping, 0, batch, i * ping.length, ping.length);
            }
            for (int i = 0; i < 20; i++) {
                try (RawWebSocket raw = new RawWebSocket(server.getPort(), "/?peerId=" + PeerId.generate())) {
                    IOException writeError = flood(raw, batch, 320); // 4 MB, far past the rate limit
                    int code = raw.awaitCloseCode(10_000, f -> { });
                    assertThat(code).as("close code read by flooder #%d (write error: %s)", i, writeError).isEqualTo(1008);
                    assertThat(writeError).as("the flooder's writes are read and discarded, not reset").isNull();
                    assertThat(raw.awaitServerClose(10_000)).as("FIN after the close frame").isTrue();
                }
            }
            relayStillWorks(a, b);
            relayStillWorks(b, a);
            a.close();
            b.close();
        }
    }

    @Test
    void aClientStreamingAnOversizeFrameAlwaysReadsItsCloseCode1009() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxMessageSize(64 * 1024).build().start()) {
            TestClient a = TestClient.connect(server.getPort()).announce("n1");
            TestClient b = TestClient.connect(server.getPort()).announce("n1");
            a.awaitDiscovered(b.peerId());
            byte[] chunk = new byte[16 * 1024];
            for (int i = 0; i < 20; i++) {
                try (RawWebSocket raw = new RawWebSocket(server.getPort(), "/?peerId=" + PeerId.generate())) {
                    // The header of a 1 GB text frame, then its payload for as long as the socket takes it.
                    byte[] header = {(byte) 0x81, (byte) (0x80 | 127), 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4};
                    raw.sendRaw(header);
                    IOException writeError = flood(raw, chunk, 256); // 4 MB of it, long after the close
                    int code = raw.awaitCloseCode(10_000, f -> { });
                    assertThat(code).as("close code read by streamer #%d (write error: %s)", i, writeError).isEqualTo(1009);
                    assertThat(writeError).as("the streamer's writes are read and discarded, not reset").isNull();
                }
            }
            relayStillWorks(a, b);
            relayStillWorks(b, a);
            a.close();
            b.close();
        }
    }

    @Test
    void closedSocketsDoNotLingerForAPeerThatClosesAndHttpAnswersEndAtOnce() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start()) {
            TestClient a = TestClient.connect(server.getPort()).announce("n1");
            TestClient b = TestClient.connect(server.getPort()).announce("n1");
            a.awaitDiscovered(b.peerId());
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                // RawHttp reads to EOF: the FIN comes right after the answer, not after the linger time.
                String response = RawHttp.exchange(server.getPort(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(RawHttp.status(response)).isEqualTo(200);
            }
            assertThat(System.nanoTime() - start).as("20 HTTP answers, each ended by the server")
                    .isLessThan(java.util.concurrent.TimeUnit.SECONDS.toNanos(5));
            relayStillWorks(a, b);
            a.close();
            b.close();
        }
    }
}

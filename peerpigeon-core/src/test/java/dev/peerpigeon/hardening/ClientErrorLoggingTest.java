package dev.peerpigeon.hardening;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.TestClient;
import dev.peerpigeon.testkit.TestLogs;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client-caused errors (issue 9, item 9) log at DEBUG/INFO without stack traces, and what a client can repeat at
 * will costs at most one line a second: a flood of bad frames and refused upgrades leaves a bounded log.
 */
class ClientErrorLoggingTest {

    @Test
    void aFloodOfBadFramesAndRefusedUpgradesLeavesABoundedLogWithoutStackTraces() throws Exception {
        long mark = TestLogs.mark();
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").maxConnections(3)
                .maxMessagesPerSecond(0, 0).build().start()) {
            TestClient a = TestClient.connect(server.getPort()).announce("n1");
            TestClient b = TestClient.connect(server.getPort()).announce("n1");
            a.awaitDiscovered(b.peerId());
            TestClient bad = TestClient.connect(server.getPort()).announce("n1").quiet();
            List<String> frames = List.of("{not json", "null", "[1,2]", "{\"type\":\"nope\"}", "{\"type\":42}",
                    "{\"type\":\"offer\",\"targetPeerId\":\"" + PeerId.generate() + "\",\"data\":{}}",
                    "{\"type\":\"announce\",\"networkName\":\"" + "x".repeat(5000) + "\"}",
                    "{\"type\":\"announce\",\"data\":[1]}", "{\"type\":\"offer\",\"targetPeerId\":7}");
            for (int i = 0; i < 3000; i++) {
                if (i % 10 == 9) {
                    bad.sendBinary(new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0x80});
                } else {
                    bad.send(frames.get(i % frames.size()));
                }
            }
            bad.sync(); // all of them handled (each got its error reply)
            assertThat(bad.isOpen()).isTrue();
            // The server is full (3): every further upgrade is refused with 503.
            for (int i = 0; i < 100; i++) {
                String r = RawHttp.upgrade(server.getPort(), "/?peerId=" + PeerId.generate());
                assertThat(RawHttp.status(r)).isEqualTo(503);
            }
            int before = b.ofType("offer").size();
            a.offer(b.peerId(), "v=0 bystander");
            Await.until("bystander relay", () -> b.ofType("offer").size() > before);
            a.close();
            b.close();
            bad.close();
        }
        List<String> lines = TestLogs.linesSince(mark);
        assertThat(lines).noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception:") && !l.contains(" - "));
        assertThat(lines.stream().filter(l -> l.contains("maximum connections")).count())
                .as("refusals of a full server: about one line a second").isLessThanOrEqualTo(5);
        // start, max connections, stop, one line per second of refusals: a handful, not thousands
        assertThat(lines).as("log lines of the whole flood").hasSizeLessThanOrEqualTo(20);
    }
}

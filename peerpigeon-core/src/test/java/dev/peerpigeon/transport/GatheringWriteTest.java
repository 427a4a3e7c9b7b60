package dev.peerpigeon.transport;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Frames queued behind each other leave in gathering writes (CountingChannel): they arrive whole and in order,
 * and the exact send-queue accounting comes back to zero once the receiver has read everything; a fan-out notice
 * sent meanwhile (such frames may be written directly by their sender) waits behind the backlog.
 */
class GatheringWriteTest {

    @Test
    void aBacklogOfFramesArrivesInOrderAndItsBytesAreAccountedExactly() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxMessagesPerSecond(1_000_000, 1_000_000).maxQueuedBytes(64 * 1024 * 1024).build().start()) {
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            String id = PeerId.generate();
            try (RawWebSocket receiver = new RawWebSocket(server.getPort(), "/?peerId=" + id);
                 TestClient sender = TestClient.connect(server.getPort()).announce("n1")) {
                receiver.sendText("{\"type\":\"announce\",\"data\":{},\"networkName\":\"n1\"}");
                sender.awaitDiscovered(id);
                // 8 MB: more than the kernel's socket buffers can hold (its send buffer grows up to 4 MB here), so
                // a backlog is left in our queue whatever the autotuning does.
                int n = 4000;
                String pad = "p".repeat(2000);
                for (int i = 0; i < n; i++) {
                    sender.offer(id, "seq=" + i + " " + pad);
                }
                // The receiver has not read: the backlog waits in its queue (its 4 KB window is full).
                Await.until("a backlog queued", Duration.ofSeconds(10), () -> server.getMetrics().sendQueueBytes() > 1_000_000,
                        () -> "queued " + server.getMetrics().sendQueueBytes() + "; sender saw " + sender.ofType("error"));
                // A peer joins meanwhile: its notice fans out to the receiver, whose queue is not empty and whose head
                // is partly written: it must wait its turn (a direct write now would start inside that frame).
                String joiner;
                try (TestClient late = TestClient.connect(server.getPort()).announce("n1")) {
                    joiner = late.peerId();
                    sender.awaitDiscovered(joiner);
                }
                int next = 0;
                boolean joinerSeen = false;
                while (next < n || !joinerSeen) {
                    RawWebSocket.Frame f = receiver.readFrame();
                    assertThat(f).as("frame %d", next).isNotNull();
                    assertThat(f.opcode()).isEqualTo(1);
                    JsonObject o = JsonParser.parseString(new String(f.payload(), StandardCharsets.UTF_8)).getAsJsonObject();
                    if (!"offer".equals(o.get("type").getAsString())) {
                        joinerSeen |= "peer-discovered".equals(o.get("type").getAsString())
                                && o.getAsJsonObject("data").get("peerId").getAsString().equals(joiner);
                        continue; // discovery notices
                    }
                    assertThat(o.getAsJsonObject("data").get("sdp").getAsString()).isEqualTo("seq=" + next + " " + pad);
                    next++;
                }
                Await.until("every queued byte accounted for", Duration.ofSeconds(10),
                        () -> server.getMetrics().sendQueueBytes() == 0);
                by.relayBothWays();
            } finally {
                by.close();
            }
        }
    }
}

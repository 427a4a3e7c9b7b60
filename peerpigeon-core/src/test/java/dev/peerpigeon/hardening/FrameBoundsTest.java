package dev.peerpigeon.hardening;

import dev.peerpigeon.PeerPigeonServer;
import dev.peerpigeon.ServerEvent;
import dev.peerpigeon.ServerListener;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.Bystanders;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Frame-level bounds over real sockets: each bad or abusive frame sequence gets its RFC 6455 answer,
 * and two bystanders in the same network keep relaying.
 */
class FrameBoundsTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String announce(String network) {
        return "{\"type\":\"announce\",\"data\":{},\"networkName\":\"" + network + "\"}";
    }

    private static String offer(String target, String sdp) {
        return "{\"type\":\"offer\",\"data\":{\"type\":\"offer\",\"sdp\":\"" + sdp + "\"},\"networkName\":\"n1\","
                + "\"targetPeerId\":\"" + target + "\"}";
    }

    @Test
    void aFragmentedMessageIsBoundedOnEveryFragmentWith1009() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxMessageSize(64 * 1024).build().start()) {
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            TestClient a = by.a();
            TestClient b = by.b();
            String id = PeerId.generate();
            try (RawWebSocket raw = new RawWebSocket(server.getPort(), "/?peerId=" + id)) {
                raw.sendText(announce("n1"));
                b.awaitDiscovered(id);
                // Within the limit, a message in three fragments (a ping between them) is delivered whole.
                byte[] ok = utf8(offer(b.peerId(), "v=0 " + "f".repeat(40_000)));
                raw.sendFrame(1, false, Arrays.copyOfRange(ok, 0, 20_000));
                raw.sendFrame(0, false, Arrays.copyOfRange(ok, 20_000, 30_000));
                raw.sendFrame(9, true, utf8("between"));
                raw.sendFrame(0, true, Arrays.copyOfRange(ok, 30_000, ok.length));
                b.await("fragmented offer", o -> TestClient.isType(o, "offer") && id.equals(o.get("fromPeerId").getAsString())
                        && o.getAsJsonObject("data").get("sdp").getAsString().length() == 40_004);
                // Past the limit on a middle fragment (the message never finishes): closed there, 1009.
                raw.sendFrame(1, false, new byte[40_000]);
                raw.sendFrame(0, false, new byte[40_000]);
                assertThat(raw.awaitCloseCode(10_000, f -> { })).isEqualTo(1009);
            }
            by.relayBothWays();
            by.close();
        }
    }

    @Test
    void anUnmaskedClientFrameIsClosedWith1002() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start()) {
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            TestClient a = by.a();
            TestClient b = by.b();
            String id = PeerId.generate();
            try (RawWebSocket raw = new RawWebSocket(server.getPort(), "/?peerId=" + id)) {
                raw.sendRaw(RawWebSocket.encodeFrame(1, true, utf8(announce("n1")), false));
                assertThat(raw.awaitCloseCode(10_000, f -> { })).isEqualTo(1002);
            }
            Await.until("unmasked peer gone", () -> server.getPeers().stream().noneMatch(p -> p.peerId().equals(id)));
            assertThat(a.ofType("peer-discovered")).noneMatch(o -> o.toString().contains(id));
            by.relayBothWays();
            by.close();
        }
    }

    @Test
    void pingsCountAgainstTheMessageRate() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                .maxMessagesPerSecond(50, 100).build().start()) {
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            TestClient a = by.a();
            TestClient b = by.b();
            try (RawWebSocket raw = new RawWebSocket(server.getPort(), "/?peerId=" + PeerId.generate())) {
                try {
                    for (int i = 0; i < 1000; i++) {
                        raw.sendFrame(9, true, utf8("p" + i));
                    }
                } catch (IOException closedMeanwhile) {
                    // the server closed it while we were still flooding
                }
                List<String> pongs = new ArrayList<>();
                int code = raw.awaitCloseCode(10_000, f -> {
                    if (f.opcode() == 10) {
                        pongs.add(new String(f.payload(), StandardCharsets.UTF_8));
                    }
                });
                assertThat(code).isEqualTo(1008);
                // The burst was answered (pongs echo their ping), the rest was dropped, then the flood closed.
                assertThat(pongs).startsWith("p0", "p1", "p2").hasSizeBetween(100, 400);
            }
            by.relayBothWays();
            by.close();
        }
    }

    @Test
    void aPingFloodFromASocketThatNeverReadsIsDroppedLikeAnySlowConsumer() throws Exception {
        List<ServerEvent.PeerDisconnected> gone = new CopyOnWriteArrayList<>();
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1")
                // rate off and no server pings during the test: only the pongs can fill its queue
                .maxQueuedBytes(64 * 1024).maxMessagesPerSecond(0, 0).pingInterval(600_000).build()) {
            server.addListener(new ServerListener() {
                @Override
                public void peerDisconnected(ServerEvent.PeerDisconnected e) {
                    gone.add(e);
                }
            });
            server.start();
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            TestClient a = by.a();
            TestClient b = by.b();
            String id = PeerId.generate();
            byte[] ping = RawWebSocket.encodeFrame(9, true, new byte[125], true);
            byte[] batch = new byte[ping.length * 1000];
            for (int i = 0; i < 1000; i++) {
                System.arraycopy(ping, 0, batch, i * ping.length, ping.length);
            }
            try (RawWebSocket flooder = new RawWebSocket(server.getPort(), "/?peerId=" + id)) {
                flooder.setReceiveBuffer(4096);
                // Pongs it never reads fill its send queue; queued pongs count like data: it is dropped.
                Await.until("ping flooder dropped", Duration.ofSeconds(30), () -> {
                    if (gone.stream().anyMatch(e -> e.peerId().equals(id))) {
                        return true;
                    }
                    try {
                        flooder.sendRaw(batch);
                    } catch (IOException reset) {
                        // dropped: the event follows
                    }
                    return false;
                });
            }
            assertThat(gone).filteredOn(e -> e.peerId().equals(id)).singleElement().satisfies(e -> {
                assertThat(e.code()).isEqualTo(1008);
                assertThat(e.reason()).isEqualTo("Send queue overflow (slow consumer)");
            });
            by.relayBothWays();
            by.close();
        }
    }

    @Test
    void aMaximalFrameTrickledInSmallPiecesIsDelivered() throws Exception {
        try (PeerPigeonServer server = PeerPigeonServer.builder().port(0).host("127.0.0.1").build().start()) {
            Bystanders by = Bystanders.join(server.getPort(), "n1");
            TestClient a = by.a();
            TestClient b = by.b();
            String id = PeerId.generate();
            try (RawWebSocket raw = new RawWebSocket(server.getPort(), "/?peerId=" + id)) {
                raw.sendText(announce("n1"));
                b.awaitDiscovered(id);
                int sdpLength = 1_048_576 - offer(b.peerId(), "").length(); // exactly maxMessageSize
                byte[] frame = RawWebSocket.encodeFrame(1, true, utf8(offer(b.peerId(), "s".repeat(sdpLength))), true);
                raw.trickle(Arrays.copyOfRange(frame, 0, 16), 1); // the header split byte by byte
                raw.trickle(Arrays.copyOfRange(frame, 16, frame.length), 1000);
                b.await("trickled offer", o -> TestClient.isType(o, "offer") && id.equals(o.get("fromPeerId").getAsString())
                        && o.getAsJsonObject("data").get("sdp").getAsString().length() == sdpLength, Duration.ofSeconds(30));
            }
            by.relayBothWays();
            by.close();
        }
    }
}

package dev.peerpigeon;

import com.google.gson.JsonObject;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawHttp;
import dev.peerpigeon.testkit.RawWebSocket;
import dev.peerpigeon.testkit.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.peerpigeon.testkit.TestClient.isType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each bad input gets its defined answer, and two bystanders in the same network keep exchanging
 * signals afterwards.
 */
class BadInputTest {
    private PeerPigeonServer server;
    private final List<TestClient> clients = new ArrayList<>();
    private TestClient alice;
    private TestClient bob;

    @BeforeEach
    void start() {
        server = PeerPigeonServer.builder().port(0).host("127.0.0.1").maxConnections(6).build().start();
        alice = client().announce("n1");
        bob = client().announce("n1");
        alice.awaitDiscovered(bob.peerId());
    }

    @AfterEach
    void stop() {
        bystandersStillWork();
        clients.forEach(TestClient::close);
        server.close();
    }

    private TestClient client() {
        TestClient c = TestClient.connect(server.getPort());
        clients.add(c);
        return c;
    }

    private void bystandersStillWork() {
        int before = bob.ofType("offer").size();
        alice.offer(bob.peerId(), "v=0 still alive " + before);
        Await.until("bystander relay", () -> bob.ofType("offer").size() > before);
    }

    private JsonObject errorFor(TestClient c, String frame) {
        int before = c.ofType("error").size();
        c.send(frame);
        Await.until("error reply to " + frame, () -> c.ofType("error").size() > before);
        return c.ofType("error").get(before);
    }

    @Test
    void invalidUtf8IsClosedWith1007AndNonAsciiTextIsRelayedIntact() throws Exception {
        // Non-ASCII text takes the strict decoder (ASCII is copied as is): relayed byte for byte.
        String sdp = "v=0 café ☃ 𝄞 \u00e9";
        alice.offer(bob.peerId(), sdp);
        bob.await("non-ASCII offer", o -> isType(o, "offer")
                && o.getAsJsonObject("data").get("sdp").getAsString().equals("v=0 café ☃ 𝄞 \u00e9"));
        try (RawWebSocket raw = new RawWebSocket(server.getPort(), "/?peerId=" + PeerId.generate())) {
            byte[] bad = "{\"type\":\"ping\",\"data\":\"\u00ff\"}".getBytes(StandardCharsets.ISO_8859_1); // 0xff: never UTF-8
            raw.sendFrame(1, true, bad);
            assertThat(raw.awaitCloseCode(10_000, f -> { })).isEqualTo(1007);
        }
    }

    @Test
    void malformedJsonAndNonObjectsGetAnErrorReply() {
        TestClient m = client().announce("n1");
        assertThat(errorFor(m, "{not json").get("error").getAsString()).startsWith("Invalid JSON");
        assertThat(errorFor(m, "null").get("error").getAsString()).isEqualTo("Message must be a JSON object");
        assertThat(errorFor(m, "[1,2]").get("error").getAsString()).isEqualTo("Message must be a JSON object");
        assertThat(errorFor(m, "123").get("error").getAsString()).isEqualTo("Message must be a JSON object");
        assertThat(errorFor(m, "\"str\"").get("error").getAsString()).isEqualTo("Message must be a JSON object");
        assertThat(errorFor(m, "{\"type\":\"ping\"} trailing").get("error").getAsString()).startsWith("Invalid JSON");
        assertThat(errorFor(m, "{\"data\":" + "[".repeat(5000)).get("error").getAsString()).startsWith("Invalid JSON");
        assertThat(m.isOpen()).isTrue();
        assertThat(m.ofType("error").get(0).get("networkName").getAsString()).isEqualTo("n1");
    }

    @Test
    void wrongFieldTypesGetAnErrorNamingTheField() {
        TestClient m = client().announce("n1");
        assertThat(errorFor(m, "{\"type\":\"offer\",\"data\":{},\"targetPeerId\":12345}").get("error").getAsString())
                .isEqualTo("Field 'targetPeerId' must be a string");
        assertThat(errorFor(m, "{\"type\":\"announce\",\"networkName\":{\"a\":1}}").get("error").getAsString())
                .isEqualTo("Field 'networkName' must be a string");
        assertThat(errorFor(m, "{\"type\":7}").get("error").getAsString()).isEqualTo("Field 'type' must be a string");
        assertThat(errorFor(m, "{\"type\":\"announce\",\"data\":[1]}").get("error").getAsString())
                .isEqualTo("Field 'data' of announce must be an object");
        assertThat(errorFor(m, "{\"type\":\"offer\",\"data\":{},\"targetPeerId\":\"nothex\"}").get("error").getAsString())
                .isEqualTo("Field 'targetPeerId' must be 40 hex digits");
        assertThat(errorFor(m, "{\"type\":\"offer\",\"data\":{}}").get("error").getAsString())
                .isEqualTo("Field 'targetPeerId' is required for 'offer'");
        assertThat(errorFor(m, "{\"type\":\"announce\",\"networkName\":\"" + "x".repeat(300) + "\"}").get("error").getAsString())
                .contains("longer than 256");
        assertThat(errorFor(m, "{\"type\":\"announce\",\"data\":{\"blob\":\"" + "x".repeat(9000) + "\"}}").get("error").getAsString())
                .contains("larger than");
    }

    @Test
    void oversizeFrameClosesOnlyThatSocketWith1009() {
        TestClient big = client().announce("n1");
        alice.awaitDiscovered(big.peerId());
        big.send("{\"type\":\"ping\",\"data\":\"" + "x".repeat(1_048_576) + "\"}");
        big.awaitClosed();
        assertThat(big.closeCode()).isEqualTo(1009);
        JsonObject gone = alice.await("peer-disconnected", o -> isType(o, "peer-disconnected"));
        assertThat(gone.getAsJsonObject("data").get("peerId").getAsString()).isEqualTo(big.peerId());
    }

    @Test
    void binaryFramesAreParsedAsUtf8AndInvalidUtf8GetsAnError() throws Exception {
        TestClient m = client();
        m.sendBinary("{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8));
        m.awaitType("pong");
        m.sendBinary(new byte[]{'{', (byte) 0xC3, (byte) 0x28, '}'});
        JsonObject err = m.awaitType("error");
        assertThat(err.get("error").getAsString()).isEqualTo("Binary frame is not valid UTF-8");
    }

    @Test
    void missingOrInvalidPeerIdIsAcceptedThenClosed1008LikeTheReference() throws Exception {
        // A bare readiness probe (new WebSocket(url), no peerId) must see "open", then the reference's close.
        for (String target : List.of("/", "/?peerId=xyz", "/?peerId=", "/?peerId=" + "g".repeat(40))) {
            try (RawWebSocket ws = new RawWebSocket(server.getPort(), target)) {
                assertThat(RawHttp.status(ws.handshakeResponse())).as(target).isEqualTo(101);
                ws.sendText("{\"type\":\"ping\"}"); // never processed: nothing but the close comes back
                RawWebSocket.Frame f = ws.readFrame();
                assertThat(f).as(target).isNotNull();
                assertThat(f.opcode()).as(target + ": the first frame is the close").isEqualTo(8);
                assertThat(f.closeCode()).isEqualTo(1008);
                assertThat(new String(f.payload(), 2, f.payload().length - 2, StandardCharsets.UTF_8))
                        .isEqualTo("Invalid peerId format");
            }
        }
        TestClient bad = TestClient.connect(server.getPort(), "not-a-valid-peer-id");
        bad.awaitClosed();
        assertThat(bad.everOpened()).isTrue();
        assertThat(bad.closeCode()).isEqualTo(1008);
        alice.sync(); // nobody else noticed
    }

    @Test
    void liveDuplicateIsRefusedBeforeTheUpgradeAndTheOriginalKeepsWorking() throws Exception {
        TestClient dup = TestClient.connect(server.getPort(), alice.peerId());
        assertThat(dup.everOpened()).isFalse();
        String response = RawHttp.upgrade(server.getPort(), "/?peerId=" + alice.peerId());
        assertThat(RawHttp.status(response)).isEqualTo(409);
        assertThat(RawHttp.body(response)).contains("Peer already connected");
        alice.sync();
    }

    @Test
    void fullServerRefusesBeforeTheUpgrade() {
        // 2 in use; capacity 6
        // Each one registered (its welcome arrived): the 101 comes before the registration, which is what counts.
        for (int i = 0; i < 4; i++) {
            TestClient c = client();
            assertThat(c.isOpen()).isTrue();
            c.awaitType("connected");
        }
        TestClient extra = TestClient.connect(server.getPort());
        assertThat(extra.everOpened()).isFalse();
        assertThat(server.getStats().connections()).isEqualTo(6);
    }

    @Test
    void malformedHttpRequestsNeverHurtTheServer() throws Exception {
        // The reference crashed on this Host header (PROTOCOL.md 9.1); here the upgrade simply works.
        try (RawWebSocket badHost = new RawWebSocket(server.getPort(), "/x?peerId=" + PeerId.generate(), "a b")) {
            assertThat(badHost.handshakeResponse()).startsWith("HTTP/1.1 101");
        }
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GET /health HTTP/1.1\r\nHost: a b\r\n\r\n"))).isEqualTo(200);
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GARBAGE\r\n\r\n"))).isEqualTo(400);
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GET / HTTP/1.1\r\nno colon here\r\n\r\n"))).isEqualTo(400);
        // A request line needs exactly "METHOD /path HTTP/x"; a header needs a name before its colon.
        for (String line : new String[]{"GET  /health HTTP/1.1", "GET /health HTTP/1.1 x", "GET health HTTP/1.1",
                "GET /health FTP/1.1", " /health HTTP/1.1", "GET /health"}) {
            assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), line + "\r\n\r\n"))).as(line).isEqualTo(400);
        }
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GET /health HTTP/1.1\r\nX:\r\n\r\n"))).isEqualTo(200);
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GET /health http/1.1\r\nX-A:b\r\nx-a: c \r\n\r\n")))
                .isEqualTo(200);
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GET /health HTTP/1.1\r\n: v\r\n\r\n"))).isEqualTo(400);
        // A line without a colon is refused even when a later line has one; at most 100 header lines.
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GET /health HTTP/1.1\r\nbad line\r\nX: y\r\n\r\n")))
                .isEqualTo(400);
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GET /health HTTP/1.1\r\n" + "A: b\r\n".repeat(100) + "\r\n")))
                .isEqualTo(200);
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GET /health HTTP/1.1\r\n" + "A: b\r\n".repeat(101) + "\r\n")))
                .isEqualTo(400);
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GET /health HTTP/1.1\r\nX: " + "y".repeat(20_000) + "\r\n\r\n")))
                .isIn(404, 400, 431);
        assertThat(RawHttp.status(RawHttp.exchange(server.getPort(), "GET / HTTP/1.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Version: 8\r\n\r\n"))).isEqualTo(426);
        assertThat(RawHttp.status(RawHttp.get(server.getPort(), "/health"))).isEqualTo(200);
    }

    @Test
    void unresponsiveSocketIsClosedAfterPeerTimeoutAndItsIdFreed() throws Exception {
        server.close();
        // Short, but not so short that a loaded box delays the bystanders' pongs past it.
        server = PeerPigeonServer.builder().port(0).host("127.0.0.1").peerTimeout(2000).pingInterval(300).build().start();
        alice = client().announce("n1");
        bob = client().announce("n1");
        alice.awaitDiscovered(bob.peerId());
        String id = PeerId.generate();
        try (RawWebSocket silent = new RawWebSocket(server.getPort(), "/?peerId=" + id)) {
            assertThat(silent.handshakeResponse()).startsWith("HTTP/1.1 101");
            silent.sendText("{\"type\":\"announce\",\"data\":{},\"networkName\":\"n1\"}");
            alice.awaitDiscovered(id);
            // it never answers the server's pings
            assertThat(silent.awaitServerClose(10_000)).isTrue();
        }
        alice.await("peer-disconnected of the silent peer", o -> isType(o, "peer-disconnected")
                && o.getAsJsonObject("data").get("peerId").getAsString().equals(id));
        TestClient back = TestClient.connect(server.getPort(), id);
        clients.add(back);
        assertThat(back.isOpen()).isTrue();
    }
}

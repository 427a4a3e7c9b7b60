package dev.peerpigeon.transport;

import dev.peerpigeon.http.HttpResponse;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.signaling.SharedFrame;
import dev.peerpigeon.testkit.RawWebSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a hub link's reader thread sends while it decodes a read is held and written in one go when the read is
 * done (ReadBatch): nothing reaches the socket before that, everything arrives in order, a fan-out frame or a close
 * from the same thread comes after what it held, and a small send-queue bound writes them sooner (never a drop). The test
 * thread plays the reader (the real one is Java-WebSocket's client thread, which CoalescingSocket's input marks);
 * on loopback a written frame is readable as soon as its write returns, so "nothing available" means "not written".
 */
class ReadBatchTest {
    private static final byte[] UPGRADE = ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    private final CompletableFuture<Connection> opened = new CompletableFuture<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private WebSocketTransport<Connection> transport;

    @AfterEach
    void stop() {
        ReadBatch.readDone();
        if (transport != null) {
            transport.stop(2000);
        }
    }

    @Test
    void framesSentDuringAReadAreWrittenTogetherWhenItIsDoneInOrder() throws Exception {
        try (Socket client = upgraded(100)) {
            Connection c = opened.get(5, TimeUnit.SECONDS);
            ReadBatch.readBegins();
            for (int i = 0; i < 5; i++) {
                c.send("m" + i);
            }
            assertThat(client.getInputStream().available()).as("held until the read is done").isZero();
            ReadBatch.readDone();
            for (int i = 0; i < 5; i++) {
                assertThat(readText(client.getInputStream())).isEqualTo("m" + i);
            }
            c.send("after"); // not reading: written at once, as before
            assertThat(readText(client.getInputStream())).isEqualTo("after");
        }
    }

    @Test
    void aFanOutFrameOrACloseFromTheReaderComesAfterWhatItHeld() throws Exception {
        try (Socket client = upgraded(100)) {
            Connection c = opened.get(5, TimeUnit.SECONDS);
            ReadBatch.readBegins();
            c.send("held");
            c.send(SharedFrame.of("fan-out"));
            c.send("held again");
            c.close(1000, "bye");
            ReadBatch.readDone();
            InputStream in = client.getInputStream();
            assertThat(readText(in)).isEqualTo("held");
            assertThat(readText(in)).isEqualTo("fan-out");
            assertThat(readText(in)).isEqualTo("held again");
            assertThat(readOpcode(in)).as("close frame last").isEqualTo(0x8);
        }
    }

    @Test
    void heldFramesAreWrittenBeforeTheyAloneReachTheQueueBoundInsteadOfDroppingAReaderThatKeepsUp() throws Exception {
        try (Socket client = upgraded(3)) {
            Connection c = opened.get(5, TimeUnit.SECONDS);
            ReadBatch.readBegins();
            for (int i = 0; i < 10; i++) {
                c.send("m" + i); // held two at a time: a third would reach the bound of 3 queued frames
            }
            assertThat(client.getInputStream().available()).as("the first ones written early").isPositive();
            ReadBatch.readDone();
            for (int i = 0; i < 10; i++) {
                assertThat(readText(client.getInputStream())).isEqualTo("m" + i);
            }
            assertThat(closed).as("not dropped").isNotDone();
        }
    }

    private Socket upgraded(int maxQueuedFrames) throws IOException {
        transport = new WebSocketTransport<>(new WebSocketTransport.Settings("127.0.0.1", 0, 1 << 20, 2,
                maxQueuedFrames, 8 << 20, 5000), new Handler());
        transport.start(5000);
        Socket s = new Socket("127.0.0.1", transport.port());
        s.setTcpNoDelay(true);
        s.setSoTimeout(5_000);
        s.getOutputStream().write(UPGRADE);
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = s.getInputStream().read();
            assertThat(b).as("response head").isNotNegative();
            head.write(b);
        }
        assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101");
        return s;
    }

    private static int readOpcode(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int b1 = d.readUnsignedByte();
        int len = d.readUnsignedByte() & 0x7F;
        d.readFully(new byte[len]);
        return b1 & 0x0F;
    }

    private static String readText(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int b1 = d.readUnsignedByte();
        assertThat(b1 & 0x0F).as("text frame").isEqualTo(1);
        int len = d.readUnsignedByte() & 0x7F;
        assertThat(len).isLessThan(126);
        byte[] payload = new byte[len];
        d.readFully(payload);
        return new String(payload, StandardCharsets.UTF_8);
    }

    private final class Handler implements TransportHandler<Connection> {
        @Override
        public HttpResponse onRequest(RequestHead head) {
            return null; // upgrade
        }

        @Override
        public Connection onOpen(Connection connection, RequestHead head) {
            opened.complete(connection);
            return connection;
        }

        @Override
        public void onMessage(Connection state, String text) {
        }

        @Override
        public void onUndecodable(Connection state, String reason) {
        }

        @Override
        public void onPong(Connection state) {
        }

        @Override
        public void onClose(Connection state, int code, String reason, boolean remote) {
            closed.complete(code);
        }
    }
}

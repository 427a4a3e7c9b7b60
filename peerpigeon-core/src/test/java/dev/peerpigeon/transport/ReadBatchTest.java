package dev.peerpigeon.transport;

import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.signaling.SharedFrame;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawWebSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a hub link's reader thread sends while it decodes a read is held and written in one go when the read is
 * done (ReadBatch): nothing reaches the socket before that, everything arrives in order, a fan-out frame or a close
 * from the same thread comes after what it held, and a small send-queue bound writes them sooner (never a drop).
 * The test thread plays the reader (the real one is Java-WebSocket's client thread, which CoalescingSocket's input
 * marks); on loopback a written frame is readable as soon as its write returns, so "nothing available" means "not
 * written".
 */
class ReadBatchTest {
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
        try (RawWebSocket client = upgraded(100)) {
            Connection c = readBegins();
            for (int i = 0; i < 5; i++) {
                c.send("m" + i);
            }
            assertThat(client.available()).as("held until the read is done").isZero();
            ReadBatch.readDone();
            for (int i = 0; i < 5; i++) {
                assertThat(readText(client)).isEqualTo("m" + i);
            }
            c.send("after"); // not reading: written at once, as before
            assertThat(readText(client)).isEqualTo("after");
        }
    }

    @Test
    void aFanOutFrameOrACloseFromTheReaderComesAfterWhatItHeld() throws Exception {
        try (RawWebSocket client = upgraded(100)) {
            Connection c = readBegins();
            c.send("held");
            c.send(SharedFrame.of("fan-out"));
            c.send("held again");
            c.close(1000, "bye");
            ReadBatch.readDone();
            assertThat(readText(client)).isEqualTo("held");
            assertThat(readText(client)).isEqualTo("fan-out");
            assertThat(readText(client)).isEqualTo("held again");
            assertThat(client.readFrame().opcode()).as("close frame last").isEqualTo(0x8);
        }
    }

    @Test
    void heldFramesAreWrittenBeforeTheyAloneReachTheQueueBoundInsteadOfDroppingAReaderThatKeepsUp() throws Exception {
        try (RawWebSocket client = upgraded(3)) {
            Connection c = readBegins();
            for (int i = 0; i < 10; i++) {
                c.send("m" + i); // held two at a time: a third would reach the bound of 3 queued frames
            }
            Await.until("the first ones written early", Duration.ofSeconds(5), () -> available(client) > 0);
            ReadBatch.readDone();
            for (int i = 0; i < 10; i++) {
                assertThat(readText(client)).isEqualTo("m" + i);
            }
            assertThat(closed).as("not dropped").isNotDone();
        }
    }

    private RawWebSocket upgraded(int maxQueuedFrames) throws IOException {
        transport = new WebSocketTransport<>(new WebSocketTransport.Settings("127.0.0.1", 0, 1 << 20, 2,
                maxQueuedFrames, 8 << 20, 5000), new QuietHandler() {
            @Override
            public Connection onOpen(Connection connection, RequestHead head) {
                opened.complete(connection);
                return connection;
            }

            @Override
            public void onClose(Connection state, int code, String reason, boolean remote) {
                closed.complete(code);
            }
        });
        transport.start(5000);
        RawWebSocket client = new RawWebSocket(transport.port(), "/");
        assertThat(client.handshakeResponse()).startsWith("HTTP/1.1 101");
        return client;
    }

    /**
     * The server side of the test's connection, with the test thread now decoding a read. First the socket is idle:
     * the 101 response can still sit in the library's queue after the client read it (the selector removes it after
     * its write), and while anything is queued, held frames are queued behind it (a queue bound of 3 counts it).
     */
    private Connection readBegins() throws Exception {
        Connection c = opened.get(5, TimeUnit.SECONDS);
        Await.until("the upgrade response written", Duration.ofSeconds(5), ((WsConnection) c)::nothingQueued);
        ReadBatch.readBegins();
        return c;
    }

    private static int available(RawWebSocket client) {
        try {
            return client.available();
        } catch (IOException e) {
            return -1;
        }
    }

    private static String readText(RawWebSocket client) throws IOException {
        RawWebSocket.Frame f = client.readFrame();
        assertThat(f).as("a frame").isNotNull();
        assertThat(f.opcode()).as("text frame").isEqualTo(1);
        return new String(f.payload(), StandardCharsets.UTF_8);
    }
}

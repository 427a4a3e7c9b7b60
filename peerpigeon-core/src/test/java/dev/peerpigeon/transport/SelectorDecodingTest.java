package dev.peerpigeon.transport;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.http.HttpResponse;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.testkit.Await;
import dev.peerpigeon.testkit.RawWebSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Frames of an open connection are handled on the selector thread (SelectorDecoding), and the hand-over from the
 * worker that ran the upgrade keeps every frame, in order: while the worker is still busy with the connection,
 * nothing of it is decoded elsewhere. The library's read buffers come back to its pool (else the selector would
 * block for good after a few reads) and what a handler sends from the selector is written (echoes arrive).
 */
class SelectorDecodingTest {
    private static final byte[] UPGRADE = ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    /** Echoes every text and records who handled it; the first frame is held until the test lets it go. */
    private static final class EchoHandler extends QuietHandler {
        final List<String> handled = new ArrayList<>();
        final List<String> threads = new ArrayList<>();
        final CountDownLatch firstEntered = new CountDownLatch(1);
        final CountDownLatch releaseFirst = new CountDownLatch(1);
        final CountDownLatch slowEntered = new CountDownLatch(1);
        final CountDownLatch releaseSlow = new CountDownLatch(1);

        @Override
        public HttpResponse onRequest(RequestHead head) {
            if (head.path().equals("/slow")) { // keeps its worker busy until the test lets it go
                slowEntered.countDown();
                try {
                    releaseSlow.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return HttpResponse.of(200, "OK", "text/plain", "slow", java.util.Map.of());
            }
            return null; // upgrade
        }

        @Override
        public void onMessage(Connection state, TextFrame frame) {
        String text = frame.toString();
            synchronized (this) {
                handled.add(text);
                threads.add(Thread.currentThread().getName());
            }
            if (text.equals("m0")) {
                firstEntered.countDown();
                try {
                    releaseFirst.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            state.send("echo:" + text);
        }

        synchronized int count() {
            return handled.size();
        }
    }

    private final EchoHandler handler = new EchoHandler();
    private WebSocketTransport<Connection> transport;

    @AfterEach
    void stop() {
        handler.releaseFirst.countDown();
        handler.releaseSlow.countDown();
        if (transport != null) {
            transport.stop(2000);
        }
    }

    @Test
    void framesReadWhileTheWorkerHoldsTheConnectionWaitForItThenTheSelectorTakesOverInOrder() throws Exception {
        // Idle sockets first, so the selector is not simply left without a buffer while the worker holds the one it
        // read into.
        List<Socket> idle = startWithFullPool();
        try (Socket socket = new Socket("127.0.0.1", transport.port())) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            // The request head and ten frames in one write: the worker decodes the frames after the upgrade, in the
            // same read, and holds the first one (the handler blocks).
            ByteArrayOutputStream first = new ByteArrayOutputStream();
            first.write(UPGRADE);
            for (int i = 0; i < 10; i++) {
                first.write(frame("m" + i));
            }
            socket.getOutputStream().write(first.toByteArray());
            InputStream in = socket.getInputStream();
            assertThat(readHead(in)).startsWith("HTTP/1.1 101");
            assertThat(handler.firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
            // More frames while the worker still has the connection: the selector reads them and must queue them
            // behind it, not decode them itself.
            for (int i = 10; i < 50; i++) {
                socket.getOutputStream().write(frame("m" + i));
            }
            // Nothing else may be handled while m0 is: asserting that something does not happen needs a window.
            assertThat(Await.holds(Duration.ofMillis(500), () -> handler.count() == 1))
                    .as("frames handled while the worker held m0: %s", handler.handled).isTrue();
            handler.releaseFirst.countDown();
            for (int i = 0; i < 50; i++) {
                assertThat(readText(in)).isEqualTo("echo:m" + i);
            }
            // Now the selector owns the connection. One frame per round trip: many more reads than the library's
            // pool has buffers, so they must come back to it.
            for (int i = 50; i < 300; i++) {
                socket.getOutputStream().write(frame("m" + i));
                assertThat(readText(in)).isEqualTo("echo:m" + i);
            }
            synchronized (handler) {
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    expected.add("m" + i);
                }
                assertThat(handler.handled).containsExactlyElementsOf(expected);
                assertThat(handler.threads.get(0)).startsWith("WebSocketWorker");
                // The selector takes over once the worker has let the connection go: after the frames queued
                // behind m0, or a frame or so after m49 (the worker lets go after writing echo:m49, so m50 may
                // still reach it). From then on it keeps it.
                int handedOver = 1;
                while (handedOver < 300 && !handler.threads.get(handedOver).startsWith("WebSocketSelector")) {
                    handedOver++;
                }
                assertThat(handedOver).as("first frame the selector decoded").isLessThan(100);
                assertThat(handler.threads.subList(handedOver, 300)).allMatch(t -> t.startsWith("WebSocketSelector"));
            }
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    @Test
    void aWorkerBusyForLongDoesNotStallTheSelector() throws Exception {
        // Two workers: the library's pool is at most 5 read buffers, and the selector returns the ones it decoded
        // through a worker. One worker is kept busy by a slow HTTP request; relaying must go on meanwhile.
        List<Socket> sockets = startWithFullPool();
        try {
            Socket a = upgraded();
            sockets.add(a);
            sockets.add(upgraded()); // the two upgrades ran on the two workers
            Socket slow = new Socket("127.0.0.1", transport.port());
            sockets.add(slow);
            slow.getOutputStream().write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(handler.slowEntered.await(10, TimeUnit.SECONDS)).isTrue();
            InputStream in = a.getInputStream();
            for (int i = 0; i < 200; i++) {
                a.getOutputStream().write(frame("r" + i));
                assertThat(readText(in)).as("round trip %d while a worker is busy", i).isEqualTo("echo:r" + i);
            }
            handler.releaseSlow.countDown();
            assertThat(readHead(slow.getInputStream())).startsWith("HTTP/1.1 200");
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    /**
     * Starts the transport with two workers and opens four idle sockets: the library pools one read buffer per
     * accepted socket, up to 2 per worker + 1, so its pool is then at its maximum (5). Returns them, to close.
     */
    private List<Socket> startWithFullPool() throws IOException {
        transport = new WebSocketTransport<>(new WebSocketTransport.Settings("127.0.0.1", 0, 1 << 20, 2, 10_000,
                8 << 20, 5000), handler);
        transport.start(5000);
        List<Socket> idle = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            idle.add(new Socket("127.0.0.1", transport.port()));
        }
        return idle;
    }

    private Socket upgraded() throws IOException {
        Socket s = new Socket("127.0.0.1", transport.port());
        s.setTcpNoDelay(true);
        s.setSoTimeout(5_000);
        s.getOutputStream().write(UPGRADE);
        assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 101");
        return s;
    }

    private static byte[] frame(String text) {
        return RawWebSocket.encodeFrame(1, true, text.getBytes(StandardCharsets.UTF_8), true);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            assertThat(b).as("response head").isNotNegative();
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    private static String readText(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int b1 = d.readUnsignedByte();
        int len = d.readUnsignedByte() & 0x7f;
        assertThat(b1).isEqualTo(0x81);
        assertThat(len).isLessThan(126);
        byte[] payload = new byte[len];
        d.readFully(payload);
        return new String(payload, StandardCharsets.UTF_8);
    }
}

package dev.peerpigeon.transport;

import dev.peerpigeon.testkit.Await;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The outbound link's socket: flushes write only when the client's queue is empty, bounded, and close writes the
 * rest; its reader holds what it sends while it decodes a read (ReadBatch).
 */
class CoalescingSocketTest {

    @Test
    void framesFlushedWhileMoreAreQueuedLeaveTogetherWhenTheQueueRunsEmpty() throws Exception {
        AtomicBoolean nothingQueued = new AtomicBoolean(false);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             CoalescingSocket socket = new CoalescingSocket(nothingQueued::get)) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
            try (Socket peer = server.accept()) {
                InputStream in = peer.getInputStream();
                OutputStream out = socket.getOutputStream();
                for (int i = 0; i < 3; i++) { // the client thread's pattern: write a frame, flush it
                    out.write(new byte[]{(byte) i, (byte) i}, 0, 2);
                    out.flush();
                }
                assertThat(Await.holds(Duration.ofMillis(300), () -> available(in) == 0))
                        .as("nothing written while frames are still queued").isTrue();
                nothingQueued.set(true);
                out.write(new byte[]{3, 3}, 0, 2);
                out.flush();
                Await.until("the burst arrives", () -> available(in) >= 8);
                byte[] got = new byte[8];
                assertThat(in.read(got)).isEqualTo(8); // in order, nothing lost
                assertThat(got).containsExactly(0, 0, 1, 1, 2, 2, 3, 3);
            }
        }
    }

    @Test
    void heldBytesAreBoundedAndWrittenOnClose() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CoalescingSocket socket = new CoalescingSocket(() -> false); // never empty: only the bound and close write
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
            try (Socket peer = server.accept()) {
                InputStream in = peer.getInputStream();
                OutputStream out = socket.getOutputStream();
                byte[] frame = new byte[1000];
                Arrays.fill(frame, (byte) 7);
                int frames = CoalescingSocket.MAX_COALESCED / frame.length + 1; // one more than fits
                for (int i = 0; i < frames; i++) {
                    out.write(frame, 0, frame.length);
                    out.flush();
                }
                int bound = (frames - 1) * frame.length;
                Await.until("the full buffer is written", () -> available(in) >= bound);
                assertThat(in.readNBytes(bound)).hasSize(bound);
                out.write(frame, 0, 10);
                socket.close();
                byte[] rest = in.readAllBytes(); // up to the end of the stream: close wrote what was held
                assertThat(rest).hasSize(frame.length + 10);
            }
        }
    }

    @Test
    void theReaderHoldsItsSendsWhileItDecodesARead() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             CoalescingSocket socket = new CoalescingSocket(() -> true)) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
            try (Socket peer = server.accept()) {
                peer.getOutputStream().write(new byte[]{1, 2});
                InputStream in = socket.getInputStream();
                assertThat(ReadBatch.current()).as("not reading yet").isNull();
                assertThat(in.read(new byte[16])).isPositive();
                assertThat(ReadBatch.current()).as("decoding what was read: sends are held").isNotNull();
                peer.close();
                assertThat(in.read(new byte[16])).isNegative();
                assertThat(ReadBatch.current()).as("the next read wrote them and the stream ended").isNull();
            }
        } finally {
            ReadBatch.readDone();
        }
    }

    private static int available(InputStream in) {
        try {
            return in.available();
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}

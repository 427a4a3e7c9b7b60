package dev.peerpigeon.transport;

import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.PingFrame;
import org.java_websocket.framing.PongFrame;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What both ends' drafts put on the wire, read back by the other end's decoder; and the server's handshake key. */
class DraftsTest {
    private static final int LIMIT = 1 << 20;

    @Test
    void theAcceptKeyIsRfc6455sExample() {
        assertThat(ServerDraft.acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    @Test
    void everyFrameOfEitherEndDecodesAtTheOtherEndMaskedOnlyFromTheClient() throws Exception {
        for (boolean fromClient : new boolean[]{true, false}) {
            FrameDecoder otherEnd = new FrameDecoder(LIMIT, fromClient);
            for (Framedata sent : frames(fromClient)) {
                ByteBuffer wire = fromClient ? new ClientDraft(LIMIT).createBinaryFrame(sent)
                        : new ServerDraft(LIMIT).createBinaryFrame(sent);
                assertThat(wire.get(wire.position() + 1) & 0x80).as("mask bit").isEqualTo(fromClient ? 0x80 : 0);
                List<Framedata> got = otherEnd.decode(wire);
                assertThat(got).hasSize(1);
                assertThat(got.get(0).getOpcode()).isEqualTo(sent.getOpcode());
                assertThat(got.get(0).getPayloadData()).isEqualTo(sent.getPayloadData());
                assertThat(wire.hasRemaining()).isFalse();
            }
        }
    }

    @Test
    void aCloseFrameKeepsItsCodeAndReason() throws Exception {
        CloseFrame close = new CloseFrame();
        close.setCode(4001);
        close.setReason("going away now");
        close.isValid();
        Framedata got = new FrameDecoder(LIMIT, false).decode(new ServerDraft(LIMIT).createBinaryFrame(close)).get(0);
        assertThat(got).isInstanceOfSatisfying(CloseFrame.class, c -> {
            assertThat(c.getCloseCode()).isEqualTo(4001);
            assertThat(c.getMessage()).isEqualTo("going away now");
        });
    }

    /** Text of each header length (7-bit, 16-bit, 64-bit), a ping and a pong with and without payload, a close. */
    private static List<Framedata> frames(boolean fromClient) throws Exception {
        List<Framedata> frames = new ArrayList<>();
        for (int len : new int[]{0, 1, 125, 126, 65535, 65536, 70001}) {
            frames.add(FrameHeaders.textFrame("x".repeat(len), fromClient).get(0));
        }
        PingFrame ping = new PingFrame();
        ping.setPayload(ByteBuffer.wrap("are you there".getBytes(StandardCharsets.UTF_8)));
        frames.add(ping);
        frames.add(new PongFrame());
        PongFrame pong = new PongFrame(ping);
        frames.add(pong);
        CloseFrame close = new CloseFrame();
        close.setCode(1000);
        close.isValid();
        frames.add(close);
        return frames;
    }
}

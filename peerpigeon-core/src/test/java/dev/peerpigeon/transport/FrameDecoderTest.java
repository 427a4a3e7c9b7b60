package dev.peerpigeon.transport;

import dev.peerpigeon.protocol.TextFrame;

import org.java_websocket.exceptions.LimitExceededException;
import org.java_websocket.framing.Framedata;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Our bounded frame decoder, fed bytes without any socket. */
class FrameDecoderTest {
    private static final int LIMIT = 1000;

    private static FrameDecoder serverSide() {
        return new FrameDecoder(LIMIT, true);
    }

    /** A client frame: masked with a fixed key. */
    private static byte[] clientFrame(boolean fin, int opcode, byte[] payload) {
        int len = payload.length;
        ByteBuffer b = ByteBuffer.allocate(FrameHeaders.headerLength(len, true) + len);
        FrameHeaders.putHeader(b, (fin ? 0x80 : 0) | opcode, len, true);
        byte[] mask = {0x12, 0x34, 0x56, 0x78};
        b.put(mask);
        for (int i = 0; i < len; i++) {
            b.put((byte) (payload[i] ^ mask[i & 3]));
        }
        return b.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Opcode and payload of each frame, comparable. */
    private static List<String> describe(List<Framedata> frames) {
        List<String> out = new ArrayList<>();
        for (Framedata f : frames) {
            ByteBuffer p = f.getPayloadData();
            byte[] bytes = new byte[p.remaining()];
            p.duplicate().get(bytes);
            out.add(f.getOpcode() + ":" + f.isFin() + ":" + Arrays.toString(bytes));
        }
        return out;
    }

    @Test
    void aWholeDataFrameInOneReadIsDeliveredWithoutACopy() throws Exception {
        byte[] wire = concat(clientFrame(true, 0x1, text("first")), clientFrame(true, 0x1, text("second")),
                clientFrame(true, 0x9, text("ping")));
        ByteBuffer read = ByteBuffer.wrap(wire);
        List<Framedata> frames = serverSide().decode(read);
        assertThat(describe(frames)).containsExactly("TEXT:true:" + Arrays.toString(text("first")),
                "TEXT:true:" + Arrays.toString(text("second")), "PING:true:" + Arrays.toString(text("ping")));
        // Both text frames are views of the read buffer, unmasked where they lie; the ping is copied (not a data frame).
        assertThat(frames.get(0).getPayloadData().array()).isSameAs(wire);
        assertThat(frames.get(1).getPayloadData().array()).isSameAs(wire);
        assertThat(frames.get(2).getPayloadData().array()).isNotSameAs(wire);
        assertThat(FrameDecoder.text(frames.get(1).getPayloadData()).toString()).isEqualTo("second");
    }

    @Test
    void aFrameSplitAtEveryByteBoundaryDecodesTheSame() throws Exception {
        byte[] wire = concat(
                clientFrame(true, 0x1, text("hello")),
                clientFrame(false, 0x1, text("frag")),       // a fragmented message ...
                clientFrame(true, 0x9, text("ping")),        // ... with a control frame between its fragments
                clientFrame(true, 0x0, text("mented")),
                clientFrame(true, 0x1, text("x".repeat(300))), // 16-bit length
                clientFrame(true, 0x2, new byte[]{1, 2, 3}),
                clientFrame(true, 0x1, new byte[0]));
        // Each decode gets its own copy: frames are unmasked where they lie in the buffer they are read from.
        List<String> whole = describe(serverSide().decode(ByteBuffer.wrap(wire.clone())));
        assertThat(whole).hasSize(6);
        assertThat(whole.get(0)).isEqualTo("TEXT:true:" + Arrays.toString(text("hello")));
        assertThat(whole.get(1)).startsWith("PING:");
        assertThat(whole.get(2)).isEqualTo("TEXT:true:" + Arrays.toString(text("fragmented")));
        for (int split = 0; split <= wire.length; split++) {
            FrameDecoder d = serverSide();
            byte[] copy = wire.clone();
            List<Framedata> frames = new ArrayList<>(d.decode(ByteBuffer.wrap(copy, 0, split)));
            frames.addAll(d.decode(ByteBuffer.wrap(copy, split, copy.length - split)));
            assertThat(describe(frames)).as("split at %d", split).isEqualTo(whole);
        }
        FrameDecoder oneByOne = serverSide();
        List<Framedata> frames = new ArrayList<>();
        for (byte b : wire) {
            frames.addAll(oneByOne.decode(ByteBuffer.wrap(new byte[]{b})));
        }
        assertThat(describe(frames)).isEqualTo(whole);
    }

    @Test
    void everyPayloadLengthAndKeyUnmasksToTheBytesSent() throws Exception {
        java.util.Random random = new java.util.Random(42);
        for (int len = 0; len <= 70; len++) {
            byte[] payload = new byte[len];
            random.nextBytes(payload);
            byte[] key = new byte[4];
            random.nextBytes(key);
            ByteBuffer b = ByteBuffer.allocate(FrameHeaders.headerLength(len, true) + len);
            FrameHeaders.putHeader(b, 0x82, len, true);
            b.put(key);
            for (int i = 0; i < len; i++) {
                b.put((byte) (payload[i] ^ key[i & 3]));
            }
            List<String> frames = describe(serverSide().decode(ByteBuffer.wrap(b.array())));
            assertThat(frames).as("length %d", len).containsExactly("BINARY:true:" + Arrays.toString(payload));
        }
    }

    @Test
    void aMaskedTextFrameOfOurHubLinkClientDecodesToItsText() throws Exception {
        ClientDraft client = new ClientDraft(LIMIT);
        for (int len = 0; len <= 70; len++) {
            String text = "0123456789abcdefghijklmnopqrstuvwxyz".repeat(2).substring(0, Math.min(len, 72));
            org.java_websocket.framing.Framedata frame = client.createFrames(text, true).get(0);
            ByteBuffer wire = client.createBinaryFrame(frame);
            assertThat(wire.get(1) & 0x80).as("mask bit").isEqualTo(0x80);
            List<String> frames = describe(serverSide().decode(wire));
            assertThat(frames).as("length %d", len).containsExactly("TEXT:true:" + Arrays.toString(text(text)));
        }
    }

    @Test
    void aFragmentedMessageOverTheLimitIs1009BeforeItsPayloadIsBuffered() throws Exception {
        FrameDecoder d = serverSide();
        assertThat(d.decode(ByteBuffer.wrap(clientFrame(false, 0x1, new byte[600])))).isEmpty();
        // Each fragment is under the limit; together they are not. Only the header of the second one is sent.
        byte[] second = clientFrame(true, 0x0, new byte[600]);
        assertThatThrownBy(() -> d.decode(ByteBuffer.wrap(second, 0, 8)))
                .isInstanceOfSatisfying(LimitExceededException.class, e -> assertThat(e.getCloseCode()).isEqualTo(1009));
        // Everything after the violation is discarded.
        assertThat(d.decode(ByteBuffer.wrap(clientFrame(true, 0x1, text("after"))))).isEmpty();
    }

    @Test
    void aFrameOverTheLimitIs1009() {
        assertThatThrownBy(() -> serverSide().decode(ByteBuffer.wrap(clientFrame(true, 0x1, new byte[LIMIT + 1]), 0, 8)))
                .isInstanceOfSatisfying(LimitExceededException.class, e -> assertThat(e.getCloseCode()).isEqualTo(1009));
    }

    @Test
    void aFrameAtTheLimitDecodes() throws Exception {
        assertThat(serverSide().decode(ByteBuffer.wrap(clientFrame(true, 0x2, new byte[LIMIT])))).hasSize(1);
    }

    @Test
    void anUnmaskedClientFrameIs1002() throws Exception {
        FrameDecoder d = serverSide();
        List<Framedata> frames = d.decode(ByteBuffer.wrap(concat(FrameHeaders.frame(0x1, text("hi")).array(),
                clientFrame(true, 0x1, text("after")))));
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0)).isInstanceOfSatisfying(FrameDecoder.Violation.class, v -> {
            assertThat(v.code).isEqualTo(1002);
            assertThat(v.reason).contains("masked");
        });
        assertThat(d.decode(ByteBuffer.wrap(clientFrame(true, 0x1, text("later"))))).isEmpty();
    }

    @Test
    void serverFramesNeedNoMaskOnTheClientSide() throws Exception {
        FrameDecoder clientSide = new FrameDecoder(LIMIT, false);
        assertThat(describe(clientSide.decode(FrameHeaders.frame(0x1, text("hi")))))
                .containsExactly("TEXT:true:" + Arrays.toString(text("hi")));
    }

    @Test
    void protocolViolationsAre1002() throws Exception {
        byte[] rsv = clientFrame(true, 0x1, text("x"));
        rsv[0] |= 0x40;
        byte[] unknownOpcode = clientFrame(true, 0x3, text("x"));
        byte[] fragmentedPing = clientFrame(false, 0x9, text("x"));
        byte[] orphanContinuation = clientFrame(true, 0x0, text("x"));
        byte[] newMessageMidFragment = concat(clientFrame(false, 0x1, text("a")), clientFrame(true, 0x1, text("b")));
        for (byte[] wire : List.of(rsv, unknownOpcode, fragmentedPing, orphanContinuation, newMessageMidFragment)) {
            List<Framedata> frames = serverSide().decode(ByteBuffer.wrap(wire));
            assertThat(frames).hasSize(1);
            assertThat(frames.get(0)).isInstanceOfSatisfying(FrameDecoder.Violation.class,
                    v -> assertThat(v.code).isEqualTo(1002));
        }
    }

    @Test
    void printableAsciiIsFoundExactlyForEveryByteAtEveryPlaceOfAWord() {
        for (int length = 1; length <= 19; length++) {
            for (int at = 0; at < length; at++) {
                for (int b = 0; b < 256; b++) {
                    byte[] a = new byte[length + 3];
                    Arrays.fill(a, (byte) '~'); // 0x7e: printable, and next to 0x7f and 0x80
                    a[1 + at] = (byte) b;
                    assertThat(dev.peerpigeon.protocol.ByteScan.isPrintableAscii(a, 1, 1 + length)).as("byte %02x at %d of %d", b, at, length)
                            .isEqualTo(b >= 0x20 && b <= 0x7f);
                }
            }
        }
        byte[] carry = "\u00ff\u00ff ~~~~~~".getBytes(StandardCharsets.ISO_8859_1); // a carry out of a bad byte
        assertThat(dev.peerpigeon.protocol.ByteScan.isPrintableAscii(carry, 0, carry.length)).isFalse();
    }

    @Test
    void onlyPrintableTextIsVouchedForSoAControlCharacterIsStillRejected() throws Exception {
        TextFrame printable = FrameDecoder.text(ByteBuffer.wrap("{\"type\":\"x\",\"data\":\"a b\"}".getBytes(StandardCharsets.US_ASCII)));
        assertThat(dev.peerpigeon.protocol.MessageCodec.parse(printable).data()).isEqualTo("\"a b\"");
        for (String bad : new String[]{"{\"type\":\"x\",\"data\":\"a\tb\"}", "{\"type\":\"x\",\"data\":\"\u00e9\u0001\"}"}) {
            TextFrame text = FrameDecoder.text(ByteBuffer.wrap(bad.getBytes(StandardCharsets.UTF_8)));
            assertThat(text.toString()).isEqualTo(bad);
            assertThatThrownBy(() -> dev.peerpigeon.protocol.MessageCodec.parse(text))
                    .hasMessageContaining("control character in string");
        }
        assertThat(FrameDecoder.text(ByteBuffer.wrap(new byte[]{'"', (byte) 0xc3, '"'}))).isNull(); // truncated sequence
        assertThat(FrameDecoder.text(ByteBuffer.wrap("\ufffd".getBytes(StandardCharsets.UTF_8))).toString()).isEqualTo("\ufffd");
    }

    /** Every sequence of 2 bytes and every 3-byte one led by E0-EF, and random ones of 4 to 6, after 0-17 ASCII bytes: as strict as the JDK's decoder. */
    @Test
    void utf8IsCheckedAsStrictlyAsTheJdkDecoder() {
        java.nio.charset.CharsetDecoder jdk = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.util.Random rnd = new java.util.Random(20261204);
        int checked = 0;
        for (int n = 0; n < (1 << 24) + 400_000; n++) {
            byte[] seq;
            if (n < 1 << 16) {
                seq = new byte[]{(byte) (n >> 8), (byte) n};
            } else if (n < 1 << 24) {
                if ((n >> 16 & 0xf0) != 0xe0) { // only E0-EF start 3-byte sequences: a sample of the others is enough
                    n += (1 << 16) - 1;
                    seq = new byte[]{(byte) (n >> 16), (byte) 0x80, (byte) 0x80};
                } else {
                    seq = new byte[]{(byte) (n >> 16), (byte) (n >> 8), (byte) n};
                }
            } else {
                seq = new byte[4 + rnd.nextInt(3)];
                for (int k = 0; k < seq.length; k++) {
                    seq[k] = (byte) (k == 0 ? 0xe0 + rnd.nextInt(32) : rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 0x80 + rnd.nextInt(64));
                }
            }
            int pad = rnd.nextInt(18);
            byte[] a = new byte[pad + seq.length + 1];
            Arrays.fill(a, (byte) 'a');
            System.arraycopy(seq, 0, a, pad, seq.length);
            boolean expected;
            try {
                jdk.reset().decode(ByteBuffer.wrap(a, 0, pad + seq.length));
                expected = true;
            } catch (java.nio.charset.CharacterCodingException e) {
                expected = false;
            }
            if (dev.peerpigeon.protocol.ByteScan.isUtf8(a, 0, pad + seq.length) != expected) {
                throw new AssertionError("bytes " + java.util.HexFormat.of().formatHex(seq) + ": expected " + expected);
            }
            checked++;
        }
        assertThat(checked).isGreaterThan(1_000_000);
    }

    /** The edges of RFC 3629's table, whole and cut short at the end of the text. */
    @Test
    void utf8EdgesAndTruncatedSequences() {
        String[] valid = {"c280", "dfbf", "e0a080", "ed9fbf", "ee8080", "efbfbf", "f0908080", "f48fbfbf"};
        String[] invalid = {"c1bf", "c080", "e09fbf", "eda080", "edbfbf", "f08fbfbf", "f4908080", "f5808080", "ff", "80"};
        for (String hex : valid) {
            byte[] seq = java.util.HexFormat.of().parseHex(hex);
            assertThat(dev.peerpigeon.protocol.ByteScan.isUtf8(seq, 0, seq.length)).as(hex).isTrue();
            for (int cut = 1; cut < seq.length; cut++) {
                assertThat(dev.peerpigeon.protocol.ByteScan.isUtf8(seq, 0, cut)).as(hex + " cut to " + cut).isFalse();
            }
        }
        for (String hex : invalid) {
            byte[] seq = java.util.HexFormat.of().parseHex(hex);
            assertThat(dev.peerpigeon.protocol.ByteScan.isUtf8(seq, 0, seq.length)).as(hex).isFalse();
        }
    }
}

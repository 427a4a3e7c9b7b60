package dev.peerpigeon.protocol;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The scanner's string reading (found with indexOf, checked between escapes) against a plain model: random strings
 * built from units that are each valid (a char, an escape) or not (a raw control character, a bad escape), read in
 * full and, when every char is printable ASCII, as text vouched for by the transport.
 */
class StringScanTest {
    /** One unit of a string's text: its raw JSON text, what it decodes to (null: invalid), whether it is raw non-ASCII. */
    private record Unit(String raw, String decoded, boolean nonAscii) {
    }

    private static final Unit[] UNITS = {
            new Unit("a", "a", false), new Unit(" ", " ", false), new Unit("~", "~", false), new Unit("\u007f", "\u007f", false),
            new Unit("\\\"", "\"", false), new Unit("\\\\", "\\", false), new Unit("\\/", "/", false),
            new Unit("\\n", "\n", false), new Unit("\\u00e9", "\u00e9", false), new Unit("\\u0022", "\"", false),
            new Unit("\u00e9", "\u00e9", true), new Unit("\u2028", "\u2028", true), new Unit("{\\\"x\\\":1}", "{\"x\":1}", false),
            new Unit("\\ud83d\\ude00", "\ud83d\ude00", false),
            new Unit("\t", null, false), new Unit("\u0001", null, false), new Unit("\\x", null, false),
            new Unit("\\u12x", null, false), new Unit("\\u00G0", null, false),
            new Unit("\\u\u0660\u0660\u0664\u0661", null, false), new Unit("\\u\uff10\uff10\uff21\uff21", null, false)};

    /** The valid units come first. */
    private static final int VALID_UNITS = (int) java.util.Arrays.stream(UNITS).filter(u -> u.decoded != null).count();

    @Test
    void randomStringsReadAsTheModelSaysInFullAndVouched() throws Exception {
        Random rnd = new Random(20261203);
        int vouched = 0;
        for (int round = 0; round < 40_000; round++) {
            StringBuilder dataRaw = new StringBuilder();
            StringBuilder netRaw = new StringBuilder();
            StringBuilder net = new StringBuilder();
            boolean valid = true;
            boolean invalidAllowed = rnd.nextInt(4) == 0;
            for (int k = rnd.nextInt(12); k > 0; k--) {
                Unit u = UNITS[rnd.nextInt(invalidAllowed ? UNITS.length : VALID_UNITS)];
                dataRaw.append(u.raw);
                valid &= u.decoded != null;
            }
            for (int k = rnd.nextInt(6); k > 0; k--) {
                Unit u = UNITS[rnd.nextInt(invalidAllowed ? UNITS.length : VALID_UNITS)];
                netRaw.append(u.raw);
                net.append(u.decoded);
                valid &= u.decoded != null;
            }
            String data = "{\"s\":\"" + dataRaw + "\",\"" + dataRaw + "\":[\"" + dataRaw + "\"]}";
            String frame = "{\"" + dataRaw + "\":0,\"type\":\"offer\",\"data\":" + data + ",\"networkName\":\"" + netRaw
                    + "\",\"x\":\"\\\\\"}";
            boolean printable = frame.chars().allMatch(c -> c >= 0x20 && c <= 0x7f); // as the transport finds it
            for (boolean vouch : printable ? new boolean[]{false, true} : new boolean[]{false}) {
                byte[] bytes = frame.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                TextFrame text = new TextFrame(bytes, 0, bytes.length, vouch);
                vouched += vouch ? 1 : 0;
                if (!valid) {
                    assertThatThrownBy(() -> MessageCodec.parse(text)).as(frame).isInstanceOf(ProtocolException.class)
                            .hasMessageStartingWith("Invalid JSON");
                    continue;
                }
                Inbound in;
                try {
                    in = MessageCodec.parse(text);
                } catch (ProtocolException e) {
                    fail(frame + " (vouched: " + vouch + "): " + e.getMessage());
                    return;
                }
                assertThat(in.type()).isEqualTo("offer");
                assertThat(in.data()).as(frame).isEqualTo(data);
                assertThat(in.networkName()).as(frame).isEqualTo(net.toString());
            }
        }
        assertThat(vouched).isGreaterThan(10_000);
    }

    @Test
    void errorsInStringsSayWhere() {
        assertThatThrownBy(() -> MessageCodec.parse("{\"a\":\"x\\\"y\tz\"}"))
                .hasMessage("Invalid JSON: control character in string at position 10");
        assertThatThrownBy(() -> MessageCodec.parse("{\"a\":\"x\\\"y"))
                .hasMessage("Invalid JSON: unterminated string at position 10");
        assertThatThrownBy(() -> MessageCodec.parse("{\"a\":\"x\\q\"}"))
                .hasMessage("Invalid JSON: bad escape '\\\\q' at position 9");
    }

    /** A frame inside a larger array is read to its own end, not the array's: the bytes after it change nothing. */
    @Test
    void aFrameAtAnOffsetEndsWhereItsLengthSays() throws Exception {
        byte[] b = "xyz{\"a\":\"x\"}\"}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> MessageCodec.parse(TextFrame.checked(b, 3, 7)))
                .hasMessage("Invalid JSON: unterminated string at position 7");
        String frame = "{\"type\":\"offer\",\"data\":[\"\ud83d\ude00\"]}"; // a raw 4-byte character in data
        byte[] f = frame.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] c = new byte[f.length + 11];
        System.arraycopy(f, 0, c, 3, f.length);
        System.arraycopy("],\"x\":1}".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, c, 3 + f.length, 8);
        Inbound in = MessageCodec.parse(TextFrame.checked(c, 3, f.length));
        assertThat(in.data()).isEqualTo("[\"\ud83d\ude00\"]");
        assertThat(new String(MessageCodec.relayUtf8(in, "f", "t", "n", 1), java.nio.charset.StandardCharsets.UTF_8))
                .contains("\"data\":[\"\ud83d\ude00\"],\"fromPeerId\"");
    }

    @Test
    void aFieldNameWithEscapesIsDecodedBeforeItIsMatched() throws Exception {
        Inbound in = MessageCodec.parse("{\"a\\\"\":1,\"\\u0074ype\":\"offer\",\"networkN\\u0061me\":\"n\\\"\"}");
        assertThat(in.type()).isEqualTo("offer");
        assertThat(in.networkName()).isEqualTo("n\"");
    }
}

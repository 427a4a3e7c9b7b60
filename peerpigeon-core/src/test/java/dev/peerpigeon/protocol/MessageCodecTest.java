package dev.peerpigeon.protocol;

import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MessageCodecTest {

    @Test
    void decodesEnvelopeFieldsAndKeepsDataVerbatim() throws Exception {
        String data = "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\na=x \\u00e9 \\\"q\\\"\",\"n\":[1,-2.5e+3,true,false,null,{}]}";
        Inbound in = MessageCodec.parse(" {\"type\":\"offer\",\"data\":" + data + ",\"maxPeers\":3,"
                + "\"networkName\":\"n\\u0031\",\"targetPeerId\":\"" + "ab".repeat(20) + "\",\"extra\":{\"deep\":[[]]}} ");
        assertThat(in.type()).isEqualTo("offer");
        assertThat(in.networkName()).isEqualTo("n1");
        assertThat(in.targetPeerId()).isEqualTo("ab".repeat(20));
        assertThat(in.data()).isEqualTo(data);
        assertThat(JsonParser.parseString(in.data()).getAsJsonObject().get("sdp").getAsString()).isEqualTo("v=0\r\na=x é \"q\"");
        assertThat(in.route()).isNull();
    }

    @Test
    void routingFieldsAreRead() throws Exception {
        Inbound in = MessageCodec.parse("{\"type\":\"offer\",\"originHub\":\"h\",\"msgId\":\"m\",\"ttl\":7,\"seq\":123456789012,\"targetHub\":\"t\"}");
        assertThat(in.route()).isEqualTo(new RouteInfo("h", "m", 7, 123456789012L, "t"));
    }

    @Test
    void theRelayBuiltAsBytesIsTheRelayStringsUtf8AfterTheHeadroom() throws Exception {
        String id = "ab".repeat(20);
        String[] frames = {
                "{\"type\":\"offer\",\"data\":{\"sdp\":\"v=0\\r\\n \\u00e9\",\"n\":[1,{}]},\"targetPeerId\":\"" + id + "\"}",
                "{\"type\":\"ice-candidate\",\"targetPeerId\":\"" + id + "\"}", // no data
                "{\"type\":\"answer\",\"data\":null}",
                "{\"type\":\"answer\",\"data\":\"x\"}"};
        RouteInfo[] routes = {null, new RouteInfo("h", null, 3, -1, "t"), new RouteInfo(null, "m1", 0, 123456789012L, null),
                new RouteInfo("ab".repeat(20), "ff", -1, 0, "cd".repeat(20)), new RouteInfo(null, null, -1, -1, null)};
        for (String frame : frames) {
            Inbound in = MessageCodec.parse(frame);
            for (long now : new long[]{0, 7, 10, 1_733_000_000_123L, Long.MAX_VALUE}) {
                for (RouteInfo route : routes) {
                    byte[] b = MessageCodec.relayUtf8(in, "cd".repeat(20), in.targetPeerId(), "global", now, route);
                    String expected = MessageCodec.relay(in.type(), in.data(), "cd".repeat(20), in.targetPeerId(), "global",
                            now, route);
                    assertThat(new String(b, MessageCodec.FRAME_HEADROOM, b.length - MessageCodec.FRAME_HEADROOM,
                            java.nio.charset.StandardCharsets.UTF_8)).as(frame + " at " + now + " " + route).isEqualTo(expected);
                }
            }
        }
        Inbound plain = MessageCodec.parse(frames[0]);
        assertThat(MessageCodec.relayUtf8(plain, "f", "t", "global", 1, new RouteInfo("h\"", null, 1, -1, null))).isNull();
    }

    @Test
    void fieldsThatAreNotPlainAsciiAreLeftToTheStringRelay() throws Exception {
        // data is copied as the bytes it came in, whatever they are: a raw é gives the String relay's UTF-8
        Inbound raw = MessageCodec.parse("{\"type\":\"offer\",\"data\":{\"sdp\":\"caf\u00e9 \ud83d\ude00\"}}");
        byte[] bytes = MessageCodec.relayUtf8(raw, "f", "t", "global", 1);
        assertThat(new String(bytes, MessageCodec.FRAME_HEADROOM, bytes.length - MessageCodec.FRAME_HEADROOM,
                java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(MessageCodec.relay("offer", raw.data(), "f", "t", "global", 1, null));
        assertThat(raw.data()).isEqualTo("{\"sdp\":\"caf\u00e9 \ud83d\ude00\"}");
        // data with the escape \\u00e9 (ASCII text) and a raw é in a field that is not relayed: the bytes path applies
        Inbound escaped = MessageCodec.parse("{\"x\":\"\u00e9\",\"type\":\"offer\",\"data\":{\"k\":\"caf\\u00e9\"}}");
        assertThat(MessageCodec.relayUtf8(escaped, "f", "t", "global", 1)).isNotNull();
        Inbound plain = MessageCodec.parse("{\"type\":\"offer\",\"data\":{}}");
        assertThat(MessageCodec.relayUtf8(plain, "f", "t", "net \"q\"", 1)).isNull();
        assertThat(MessageCodec.relayUtf8(plain, "f", "t", "n\u00e9t", 1)).isNull();
        assertThat(MessageCodec.relayUtf8(plain, "f", "t", "net", 1)).isNotNull();
    }

    @Test
    void encodedFramesAreValidJsonWithEscapes() {
        String frame = MessageCodec.relay("offer", "{\"a\":1}", "f", "t", "net \"q\"\n\u0001\u2028", 5, null);
        assertThat(JsonParser.parseString(frame).getAsJsonObject().get("networkName").getAsString())
                .isEqualTo("net \"q\"\n\u0001\u2028");
        assertThat(MessageCodec.error("x", null, 1)).isEqualTo("{\"type\":\"error\",\"error\":\"x\",\"timestamp\":1}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "{", "{\"type\"", "{\"type\":}", "{\"type\":\"a\",}", "{\"a\":01}", "{\"a\":-}",
            "{\"a\":1.}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
            "{\"data\":\"\\u\u0660\u0660\u0664\u0661\"}", "{\"data\":\"\\u\u1090\u1090\u1090\u1090\"}", "{\"a\":\"\\u\uff10\uff10\uff21\uff21\"}", "{\"a\":\"tab\there\"}",
            "{'a':1}", "{\"a\":1} x", "{\"a\":[1,]}", "{\"a\" 1}", "{\"data\":{\"a\":1,}}", "{\"a\":NaN}"})
    void malformedJsonIsRejected(String text) {
        assertThatThrownBy(() -> MessageCodec.parse(text)).isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("Invalid JSON");
    }

    @Test
    void nestingIsBounded() throws Exception {
        String ok = "{\"data\":" + "[".repeat(31) + "]".repeat(31) + "}";
        assertThat(MessageCodec.parse(ok).data()).hasSize(62);
        String deep = "{\"data\":" + "[".repeat(33) + "]".repeat(33) + "}";
        assertThatThrownBy(() -> MessageCodec.parse(deep)).hasMessageContaining("nesting deeper than 32");
    }

    @Test
    void nonObjectsAndWrongTypesHaveTheirOwnErrors() {
        assertThatThrownBy(() -> MessageCodec.parse("[1]")).hasMessage("Message must be a JSON object");
        assertThatThrownBy(() -> MessageCodec.parse("null")).hasMessage("Message must be a JSON object");
        assertThatThrownBy(() -> MessageCodec.parse("{\"type\":[\"x\"]}")).hasMessage("Field 'type' must be a string");
        assertThatThrownBy(() -> MessageCodec.parse("{\"ttl\":\"x\"}")).hasMessage("Field 'ttl' must be a number");
    }
}

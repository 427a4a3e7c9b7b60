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
    void encodedFramesAreValidJsonWithEscapes() {
        String frame = MessageCodec.relay("offer", "{\"a\":1}", "f", "t", "net \"q\"\n\u0001\u2028", 5, null);
        assertThat(JsonParser.parseString(frame).getAsJsonObject().get("networkName").getAsString())
                .isEqualTo("net \"q\"\n\u0001\u2028");
        assertThat(MessageCodec.error("x", null, 1)).isEqualTo("{\"type\":\"error\",\"error\":\"x\",\"timestamp\":1}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "{", "{\"type\"", "{\"type\":}", "{\"type\":\"a\",}", "{\"a\":01}", "{\"a\":-}",
            "{\"a\":1.}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"tab\there\"}",
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

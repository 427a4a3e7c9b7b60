package dev.peerpigeon.protocol;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnnounceDataTest {

    @Test
    void noDataIsAnEmptyObject() throws Exception {
        for (String none : new String[]{null, "null"}) {
            AnnounceData d = AnnounceData.parse(none);
            assertThat(d.json()).isEqualTo("{}");
            assertThat(d.isHub()).isFalse();
            assertThat(d.discovery("p1", false)).isEqualTo("{\"peerId\":\"p1\",\"isHub\":false}");
        }
    }

    @Test
    void theServersIdAndHubFlagWinAndTheOtherMembersKeysAndValuesAreKeptAsSent() throws Exception {
        String data = "{ \"peerId\" : \"spoofed\", \"name\" : \"a \\\"b\\\" \\u00e9\",\"isHub\":true,"
                + "\"nested\":{\"peerId\":1,\"x\":[1,2,{\"isHub\":false}]} }";
        AnnounceData d = AnnounceData.parse(data);
        assertThat(d.json()).isEqualTo(data);
        assertThat(d.isHub()).isTrue();
        assertThat(d.discovery("me", false)).isEqualTo("{\"peerId\":\"me\",\"isHub\":false,"
                + "\"name\":\"a \\\"b\\\" \\u00e9\",\"nested\":{\"peerId\":1,\"x\":[1,2,{\"isHub\":false}]}}");
    }

    @Test
    void anEscapedKeyCountsAsItsDecodedText() throws Exception {
        AnnounceData d = AnnounceData.parse("{\"\\u0069sHub\":true,\"peer\\u0049d\":\"x\",\"k\\u0065pt\":1}");
        assertThat(d.isHub()).isTrue();
        assertThat(d.discovery("me", true)).isEqualTo("{\"peerId\":\"me\",\"isHub\":true,\"k\\u0065pt\":1}");
    }

    @Test
    void onlyTheLiteralTrueMakesAHubAndTheLastOfTwoCounts() throws Exception {
        assertThat(AnnounceData.parse("{\"isHub\":\"true\"}").isHub()).isFalse();
        assertThat(AnnounceData.parse("{\"isHub\":1}").isHub()).isFalse();
        assertThat(AnnounceData.parse("{\"isHub\":true,\"isHub\":false}").isHub()).isFalse();
        assertThat(AnnounceData.parse("{\"isHub\":false,\"isHub\":true}").isHub()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1]", "\"s\"", "1", "true", " ", "", "\u0000{}", "\u000b{}"})
    void anythingButAnObjectIsRefused(String data) {
        assertThatThrownBy(() -> AnnounceData.parse(data)).isInstanceOf(ProtocolException.class)
                .hasMessage("Field 'data' of announce must be an object");
    }

    @Test
    void otherKeysGivenTwiceArePassedOnAsSentAndRawNonAsciiIsKept() throws Exception {
        assertThat(AnnounceData.parse("{\"a\":1, \"a\" : 2}").discovery("me", false))
                .isEqualTo("{\"peerId\":\"me\",\"isHub\":false,\"a\":1,\"a\":2}");
        assertThat(AnnounceData.parse("{\"n\u00e9\":\"caf\u00e9 \ud83d\ude00\"}").discovery("me", false))
                .isEqualTo("{\"peerId\":\"me\",\"isHub\":false,\"n\u00e9\":\"caf\u00e9 \ud83d\ude00\"}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "{\"a\":1} x", "{\"a\":1", "{\"a\":\"\u0001\"}"})
    void invalidJsonIsRefused(String data) {
        assertThatThrownBy(() -> AnnounceData.parse(data)).isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("Invalid JSON");
    }

    /** Against a model built with Gson (the code before): the same members and values, whatever the spacing. */
    @Test
    void randomObjectsGiveWhatATreeWouldGive() throws Exception {
        Random random = new Random(7);
        String[] keys = {"peerId", "isHub", "name", "n", "x y", "\\u0069sHub", "e\\\"q"};
        String[] values = {"true", "false", "null", "0", "-1.5e3", "\"s\"", "\"\\\\\"", "[]", "[1,[2,{}]]", "{\"isHub\":true}"};
        for (int round = 0; round < 500; round++) {
            StringBuilder sb = new StringBuilder("{");
            int members = random.nextInt(5);
            for (int m = 0; m < members; m++) {
                sb.append(m == 0 ? "" : ",").append(blank(random)).append('"').append(keys[random.nextInt(keys.length)])
                        .append('"').append(blank(random)).append(':').append(blank(random))
                        .append(values[random.nextInt(values.length)]).append(blank(random));
            }
            String data = sb.append('}').toString();
            JsonObject tree = JsonParser.parseString(data).getAsJsonObject();
            JsonObject expected = new JsonObject();
            expected.addProperty("peerId", "me");
            expected.addProperty("isHub", true);
            for (Map.Entry<String, JsonElement> e : tree.entrySet()) {
                if (!e.getKey().equals("peerId") && !e.getKey().equals("isHub")) {
                    expected.add(e.getKey(), e.getValue());
                }
            }
            AnnounceData d = AnnounceData.parse(data);
            JsonElement isHub = tree.get("isHub");
            assertThat(d.isHub()).as(data).isEqualTo(isHub != null && isHub.isJsonPrimitive()
                    && isHub.getAsJsonPrimitive().isBoolean() && isHub.getAsBoolean());
            assertThat(JsonParser.parseString(d.discovery("me", true))).as(data).isEqualTo(expected);
        }
    }

    private static String blank(Random random) {
        return new String[]{"", "", " ", "\n\t "}[random.nextInt(4)];
    }
}

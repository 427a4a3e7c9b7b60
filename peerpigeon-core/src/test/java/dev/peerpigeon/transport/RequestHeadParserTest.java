package dev.peerpigeon.transport;

import org.java_websocket.exceptions.IncompleteHandshakeException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The request-head parser as a pure function: bytes in, a parsed (or malformed) request or a refusal out. */
class RequestHeadParserTest {
    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void anUpgradeRequestIsParsedAndTheBytesAfterItsHeadStayInTheBuffer() throws Exception {
        ByteBuffer in = bytes("GET /?peerId=abc HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nFRAME");
        RequestHeadParser.ParsedRequest r = RequestHeadParser.parse(in);
        assertThat(r.malformed).isFalse();
        assertThat(RequestHeadParser.method(r)).isEqualTo("GET");
        assertThat(r.getResourceDescriptor()).isEqualTo("/?peerId=abc");
        assertThat(r.getFieldValue("upgrade")).isEqualTo("websocket");
        assertThat(RequestHeadParser.isUpgrade(r)).isTrue();
        assertThat(StandardCharsets.ISO_8859_1.decode(in).toString()).isEqualTo("FRAME");
    }

    @Test
    void anyMethodIsParsedButOnlyAGetUpgrades() throws Exception {
        RequestHeadParser.ParsedRequest r = RequestHeadParser.parse(bytes("POST /health HTTP/1.1\r\nHost: x\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        assertThat(r.malformed).isFalse();
        assertThat(RequestHeadParser.method(r)).isEqualTo("POST");
        assertThat(RequestHeadParser.isUpgrade(r)).isFalse();
    }

    @Test
    void aHostWithASpaceIsParsedNotMalformed() throws Exception {
        RequestHeadParser.ParsedRequest r = RequestHeadParser.parse(bytes("GET /health HTTP/1.1\r\nHost: a b\r\n\r\n"));
        assertThat(r.malformed).isFalse();
        assertThat(r.getFieldValue("Host")).isEqualTo("a b");
    }

    @Test
    void repeatedHeadersAreJoined() throws Exception {
        RequestHeadParser.ParsedRequest r = RequestHeadParser.parse(bytes("GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n"));
        assertThat(r.getFieldValue("X-A")).isEqualTo("1, 2");
    }

    @Test
    void aBadRequestLineOrAHeaderWithoutAColonIsMalformed() throws Exception {
        RequestHeadParser.ParsedRequest badLine = RequestHeadParser.parse(bytes("GET noslash HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertThat(badLine.malformed).isTrue();
        assertThat(badLine.getResourceDescriptor()).isEqualTo("/");
        assertThat(RequestHeadParser.malformed(badLine)).isTrue();
        assertThat(RequestHeadParser.parse(bytes("GET / HTTP/1.1\r\nno colon here\r\n\r\n")).malformed).isTrue();
        assertThat(RequestHeadParser.parse(bytes("GET / HTTP/1.1\r\n: empty name\r\n\r\n")).malformed).isTrue();
        assertThat(RequestHeadParser.parse(bytes("GET / FTP/1.1\r\n\r\n")).malformed).isTrue();
    }

    @Test
    void anIncompleteHeadAsksForMoreBytes() {
        assertThatThrownBy(() -> RequestHeadParser.parse(bytes("GET / HTTP/1.1\r\nHost: x\r\n")))
                .isExactlyInstanceOf(IncompleteHandshakeException.class);
    }

    @Test
    void aHeadOver16KibWithoutItsEndIsRefused() {
        String big = "GET / HTTP/1.1\r\nX: " + "a".repeat(RequestHeadParser.MAX_HEAD_BYTES);
        assertThatThrownBy(() -> RequestHeadParser.parse(bytes(big)))
                .isInstanceOf(InvalidHandshakeException.class)
                .hasMessageContaining("larger than 16384");
        String justUnder = ("GET / HTTP/1.1\r\nX: " + "a".repeat(RequestHeadParser.MAX_HEAD_BYTES)).substring(0, RequestHeadParser.MAX_HEAD_BYTES);
        assertThatThrownBy(() -> RequestHeadParser.parse(bytes(justUnder)))
                .isExactlyInstanceOf(IncompleteHandshakeException.class);
    }

    @Test
    void aCompleteHeadOver16KibIsMalformed() throws Exception {
        String big = "GET / HTTP/1.1\r\nX: " + "a".repeat(RequestHeadParser.MAX_HEAD_BYTES) + "\r\n\r\n";
        assertThat(RequestHeadParser.parse(bytes(big)).malformed).isTrue();
    }
}

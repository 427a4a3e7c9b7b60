package dev.peerpigeon.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Sends raw bytes to the server port and reads the whole response (the server closes after HTTP). */
public final class RawHttp {
    private RawHttp() {
    }

    public static String exchange(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return exchange(s, request);
        }
    }

    /** Sends the request on a connected socket (bound where the test needs) and reads until the server closes. */
    public static String exchange(Socket s, String request) throws IOException {
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int n;
        while ((n = in.read(chunk)) > 0) {
            buf.write(chunk, 0, n);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** The fixed key of every raw upgrade (the RFC 6455 sample nonce). */
    public static final String WS_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    /**
     * The one hand-built WebSocket upgrade request of the tests: {@code GET target} with Host, Upgrade, Connection,
     * key and version 13, then each extra header line (without its CRLF).
     */
    public static String upgradeRequest(String target, String host, String... extraHeaders) {
        StringBuilder sb = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host)
                .append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ").append(WS_KEY)
                .append("\r\nSec-WebSocket-Version: 13\r\n");
        for (String h : extraHeaders) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    /** Sends {@link #upgradeRequest} (Host: x) and returns the whole answer (for refusals before the upgrade). */
    public static String upgrade(int port, String target, String... extraHeaders) throws IOException {
        return exchange(port, upgradeRequest(target, "x", extraHeaders));
    }

    public static String get(int port, String path) throws IOException {
        return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    }

    public static String body(String response) {
        int i = response.indexOf("\r\n\r\n");
        return i < 0 ? "" : response.substring(i + 4);
    }

    public static int status(String response) {
        String[] first = response.split("\r\n", 2)[0].split(" ");
        return first.length > 1 ? Integer.parseInt(first[1]) : -1;
    }
}

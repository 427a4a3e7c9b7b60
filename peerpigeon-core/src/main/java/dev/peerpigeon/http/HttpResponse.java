package dev.peerpigeon.http;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A complete plain-HTTP response written on the WebSocket port (endpoints and pre-upgrade refusals).
 * The connection is closed after it is sent.
 */
public record HttpResponse(int status, String reason, Map<String, String> headers, byte[] body) {

    public static HttpResponse of(int status, String reason, String contentType, String body,
                                  Map<String, String> extraHeaders) {
        Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
        return new HttpResponse(status, reason, headers, bytes);
    }
}

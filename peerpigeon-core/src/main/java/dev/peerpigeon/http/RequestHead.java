package dev.peerpigeon.http;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The head of an HTTP request on the server port, before any upgrade.
 *
 * @param method    request method as sent (e.g. GET, OPTIONS)
 * @param target    request target as sent (path and query)
 * @param headers   header fields; names are case-insensitive
 * @param upgrade   true when this is a valid WebSocket upgrade request
 * @param malformed true when the request line or a header could not be parsed
 * @param remote    the client's address
 */
public record RequestHead(String method, String target, Map<String, String> headers, boolean upgrade,
                          boolean malformed, InetSocketAddress remote) {

    /** The path part of the target (before '?'). */
    public String path() {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /** The query part of the target (after '?'), or "" when there is none. */
    public String query() {
        int q = target.indexOf('?');
        return q < 0 ? "" : target.substring(q + 1);
    }

    public String header(String name) {
        return headers.get(name);
    }
}

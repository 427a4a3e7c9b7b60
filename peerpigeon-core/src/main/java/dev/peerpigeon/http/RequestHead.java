package dev.peerpigeon.http;

import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
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

    /** The first value of query parameter {@code name}, URL-decoded; "" when it has no value; null when absent or undecodable. */
    public String queryParam(String name) {
        return queryParam(query(), name);
    }

    /** The first value of {@code name} in a query string, as {@link #queryParam(String)}. */
    public static String queryParam(String query, String name) {
        for (String part : query.split("&")) {
            int eq = part.indexOf('=');
            String key = eq < 0 ? part : part.substring(0, eq);
            if (key.equals(name)) {
                String raw = eq < 0 ? "" : part.substring(eq + 1);
                try {
                    return URLDecoder.decode(raw, StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return null;
    }
}

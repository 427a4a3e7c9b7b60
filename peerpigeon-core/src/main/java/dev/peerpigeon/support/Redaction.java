package dev.peerpigeon.support;

import java.net.URI;
import java.util.Locale;

/**
 * The one place that hides credentials in URIs before they reach a log line, an HTTP answer or an event:
 * user-info becomes {@code ***@}, the secret of the {@code /hub/<secret>} path form becomes {@code /hub/***},
 * and the value of every {@code hubSecret} (or other secret-like) query parameter becomes {@code ***}, e.g.
 * {@code ws://***@host:3000/hub/***?hubSecret=***&peerId=ab…}. It lives in the bottom layer because every
 * layer, the transport included, logs URIs. Stateless.
 */
public final class Redaction {
    public static final String MASK = "***";

    private Redaction() {
    }

    /** {@code uri} with its credentials masked; null stays null. */
    public static URI uri(URI uri) {
        if (uri == null) {
            return null;
        }
        try {
            return URI.create(toString(uri));
        } catch (IllegalArgumentException e) {
            return URI.create("redacted:" + MASK); // cannot happen for a parsed URI; never leak the original
        }
    }

    /** The text of {@code uri} with its credentials masked. */
    public static String toString(URI uri) {
        if (uri == null) {
            return "null";
        }
        String authority = uri.getRawAuthority();
        if (uri.getScheme() == null || authority == null) {
            return MASK; // not a hierarchical URI with a host: nothing we could show safely
        }
        int at = authority.lastIndexOf('@');
        StringBuilder out = new StringBuilder(uri.getScheme()).append("://");
        out.append(at < 0 ? authority : MASK + "@" + authority.substring(at + 1));
        out.append(path(uri.getRawPath() == null ? "" : uri.getRawPath()));
        if (uri.getRawQuery() != null) {
            out.append('?').append(query(uri.getRawQuery()));
        }
        return out.toString();
    }

    /** A request target ({@code /path?query}) with its credentials masked. */
    public static String target(String target) {
        if (target == null) {
            return "null";
        }
        int q = target.indexOf('?');
        return q < 0 ? path(target) : path(target.substring(0, q)) + "?" + query(target.substring(q + 1));
    }

    /** True for the one path form that carries a hub credential: exactly {@code /hub/<secret>}. */
    public static boolean isHubSecretPath(String path) {
        return path.startsWith("/hub/") && path.length() > 5 && path.indexOf('/', 5) < 0;
    }

    private static String path(String path) {
        return isHubSecretPath(path) ? "/hub/" + MASK : path;
    }

    private static String query(String query) {
        java.util.StringJoiner out = new java.util.StringJoiner("&");
        for (String part : query.split("&", -1)) {
            int eq = part.indexOf('=');
            String key = eq < 0 ? part : part.substring(0, eq);
            out.add(eq >= 0 && isSecretKey(key) ? key + "=" + MASK : part);
        }
        return out.toString();
    }

    private static boolean isSecretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.endsWith("secret") || k.endsWith("password") || k.endsWith("token");
    }
}

package dev.peerpigeon.cluster;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.peerpigeon.protocol.MessageCodec;

/**
 * Names and payloads of the cluster in Redis. Every key and channel starts with {@code peerpigeon:<namespace>:}, so
 * namespaces (tenants, prod and staging) share one Redis without seeing each other:
 * <ul>
 *   <li>{@code beats}: sorted set node id -> last heartbeat (Redis time, ms);</li>
 *   <li>{@code peers:<node>}: hash peer id -> {@code [seq, network, discoveryJson]}, plus {@code #seq}, the node's
 *       latest change;</li>
 *   <li>{@code events}: channel of directory changes, {@code ["J", node, seq, peer, net, discovery]} (joined),
 *       {@code ["L", node, seq, peer, net, goodbye]} (left), {@code ["R", node, seq]} (re-registered: read it
 *       again), {@code ["G", node]} (gone);</li>
 *   <li>{@code node:<node>}: the node's own channel of routed signals, {@code S<len>,<len>,<len>,<len>;} followed by
 *       type, from, target and network (each as long as its length, in chars) and the raw data to the end.</li>
 * </ul>
 * Directory payloads are JSON arrays (Gson's tree model; they are rare). A signal is not JSON: it is the cluster's
 * hot path, and its data (an SDP offer, a few KB of JSON) would otherwise be escaped on one node and unescaped,
 * char by char, on the other; length prefixes make both sides a copy. Stateless.
 */
final class ClusterCodec {
    static final String SEQ_FIELD = "#seq";

    private final String prefix;

    ClusterCodec(String namespace) {
        this.prefix = "peerpigeon:" + namespace + ":";
    }

    String prefix() {
        return prefix;
    }

    String beats() {
        return prefix + "beats";
    }

    String peers(String node) {
        return prefix + "peers:" + node;
    }

    String events() {
        return prefix + "events";
    }

    String nodeChannel(String node) {
        return prefix + "node:" + node;
    }

    static String join(String node, long seq, String peer, String net, String discovery) {
        return array("J", node, seq, peer, net, discovery);
    }

    static String leave(String node, long seq, String peer, String net, boolean goodbye) {
        return array("L", node, seq, peer, net, goodbye ? "1" : "0");
    }

    static String reregistered(String node, long seq) {
        return array("R", node, seq);
    }

    static String gone(String node) {
        return array("G", node);
    }

    /** A routed signal, as {@link #parseSignal} reads it. */
    record Signal(String type, String from, String target, String net, String data) {
    }

    /** {@code data} is the raw JSON of the signal's data, or null when it has none (sent as nothing after the net). */
    static String signal(String type, String from, String target, String net, String data) {
        String d = data == null ? "" : data; // a JSON value is never empty, so "" can stand for absent
        return new StringBuilder(24 + type.length() + from.length() + target.length() + net.length() + d.length())
                .append('S').append(type.length()).append(',').append(from.length()).append(',')
                .append(target.length()).append(',').append(net.length()).append(';')
                .append(type).append(from).append(target).append(net).append(d).toString();
    }

    /** The signal in {@code text} (which starts with {@code S}), or null when it is malformed. */
    static Signal parseSignal(String text) {
        int[] len = new int[4];
        int i = 1;
        for (int f = 0; f < 4; f++) {
            int n = 0;
            int start = i;
            while (i < text.length() && text.charAt(i) >= '0' && text.charAt(i) <= '9' && i - start < 9) {
                n = n * 10 + (text.charAt(i++) - '0');
            }
            char sep = f < 3 ? ',' : ';';
            if (i == start || i >= text.length() || text.charAt(i) != sep) {
                return null;
            }
            i++;
            len[f] = n;
        }
        String[] field = new String[4];
        for (int f = 0; f < 4; f++) {
            if (len[f] > text.length() - i) {
                return null;
            }
            field[f] = text.substring(i, i + len[f]);
            i += len[f];
        }
        return new Signal(field[0], field[1], field[2], field[3], i == text.length() ? null : text.substring(i));
    }

    /** The hash value of one peer. */
    static String value(long seq, String net, String discovery) {
        return array(seq, net, discovery);
    }

    /** {@code {"peerId":..,"isHub":false}}: the data of a peer-disconnected notice. */
    static String goneData(String peerId) {
        return "{\"peerId\":" + MessageCodec.quote(peerId) + ",\"isHub\":false}";
    }

    /** The array, or null when {@code text} is not a JSON array of at least {@code min} elements. */
    static JsonArray parse(String text, int min) {
        try {
            JsonElement e = JsonParser.parseString(text);
            return e.isJsonArray() && e.getAsJsonArray().size() >= min ? e.getAsJsonArray() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Element {@code i} as a string, or null (JSON null). */
    static String str(JsonArray a, int i) {
        JsonElement e = a.get(i);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    private static String array(Object... items) {
        JsonArray a = new JsonArray(items.length);
        for (Object o : items) {
            if (o == null) {
                a.add((String) null);
            } else if (o instanceof Long n) {
                a.add(n);
            } else {
                a.add(o.toString());
            }
        }
        return a.toString();
    }
}

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
 *   <li>{@code node:<node>}: the node's own channel of routed signals, {@code ["S", type, from, target, net, data]}.</li>
 * </ul>
 * Payloads are JSON arrays (Gson's tree model). Stateless.
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

    static String signal(String type, String from, String target, String net, String data) {
        return array("S", type, from, target, net, data);
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

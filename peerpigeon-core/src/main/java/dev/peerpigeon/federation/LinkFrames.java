package dev.peerpigeon.federation;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.PeerId;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one place hub-link frames and their data objects are encoded (strings through
 * {@link MessageCodec#quote}; notices and relays are {@link MessageCodec}'s own) and the one place the
 * data of hub frames is parsed. Pure functions; thread-safe.
 */
final class LinkFrames {
    private LinkFrames() {
    }

    /** The announce that opens an outbound link: this hub, its limit and its capabilities. */
    static String announce(String namespace, String host, int port, int maxFrameSize, long now) {
        return announce(namespace, host, port, maxFrameSize, now, null, false);
    }

    /**
     * The announce, with this hub's dialable address ({@code uri}, null when unknown) and whether the link is one the
     * mesh maintenance dialed ({@code learned}: the other side may refuse it at its link limit, either may drop it).
     */
    static String announce(String namespace, String host, int port, int maxFrameSize, long now, String uri,
                           boolean learned) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"type\":\"announce\",\"networkName\":");
        MessageCodec.quote(sb, namespace);
        sb.append(",\"data\":{\"isHub\":true,\"port\":").append(port).append(",\"host\":");
        MessageCodec.quote(sb, host);
        if (uri != null) {
            MessageCodec.quote(sb.append(",\"uri\":"), uri);
        }
        if (learned) {
            sb.append(",\"learned\":true");
        }
        sb.append(",\"maxFrameSize\":").append(maxFrameSize)
                .append(",\"capabilities\":[\"signaling\",\"relay\",");
        MessageCodec.quote(sb, HubMesh.CAPABILITY);
        return sb.append("],\"timestamp\":").append(now).append("}}").toString();
    }

    /** {@code hub-sync}: asks a neighbour for what it knows of {@code origins}. */
    static String sync(Collection<String> origins) {
        StringBuilder sb = new StringBuilder(32 + origins.size() * 44);
        sb.append("{\"type\":\"hub-sync\",\"data\":{\"origins\":[");
        boolean first = true;
        for (String o : origins) {
            sb.append(first ? "" : ",");
            MessageCodec.quote(sb, o);
            first = false;
        }
        return sb.append("]}}").toString();
    }

    /** An encoded route advert and how many hubs did not fit. */
    record Advert(String frame, int left) {
    }

    /**
     * {@code hub-routes}: {@code self}'s path to itself, then each route shortest first (ties by hub id), as
     * long as the frame stays within {@code budget} characters.
     */
    static Advert routes(String self, Map<String, List<String>> paths, int budget) {
        return routes(self, paths, Map.of(), budget);
    }

    /**
     * {@code hub-routes} with the dialable addresses this hub knows ({@code addrs}: hub id -> ws(s) URI, its own
     * included), as many as fit the budget after the routes.
     */
    static Advert routes(String self, Map<String, List<String>> paths, Map<String, String> addrs, int budget) {
        List<Map.Entry<String, List<String>>> entries = new ArrayList<>(paths.entrySet());
        entries.sort((a, b) -> a.getValue().size() != b.getValue().size()
                ? Integer.compare(a.getValue().size(), b.getValue().size()) : a.getKey().compareTo(b.getKey()));
        StringBuilder sb = new StringBuilder(128 + entries.size() * 96);
        sb.append("{\"type\":\"hub-routes\",\"data\":{\"routes\":{");
        appendPath(sb, self, List.of(self));
        int left = 0;
        for (int i = 0; i < entries.size(); i++) {
            int mark = sb.length();
            sb.append(',');
            appendPath(sb, entries.get(i).getKey(), entries.get(i).getValue());
            if (sb.length() > budget) {
                sb.setLength(mark);
                left = entries.size() - i;
                break;
            }
        }
        sb.append('}');
        if (!addrs.isEmpty()) {
            sb.append(",\"addrs\":{");
            boolean first = true;
            for (Map.Entry<String, String> e : addrs.entrySet()) {
                int mark = sb.length();
                MessageCodec.quote(sb.append(first ? "" : ","), e.getKey()).append(':');
                MessageCodec.quote(sb, e.getValue());
                if (sb.length() > budget) {
                    sb.setLength(mark);
                    break;
                }
                first = false;
            }
            sb.append('}');
        }
        sb.append("},\"originHub\":");
        MessageCodec.quote(sb, self);
        return new Advert(sb.append('}').toString(), left);
    }

    private static void appendPath(StringBuilder sb, String hub, List<String> path) {
        MessageCodec.quote(sb, hub).append(":[");
        for (int i = 0; i < path.size(); i++) {
            MessageCodec.quote(sb.append(i == 0 ? "" : ","), path.get(i));
        }
        sb.append(']');
    }

    /** Data of a {@code peer-disconnected} sent on links. */
    static String departure(String peerId, boolean goodbye) {
        StringBuilder sb = new StringBuilder(96).append("{\"peerId\":");
        MessageCodec.quote(sb, peerId);
        return sb.append(",\"isHub\":false,\"reason\":").append(goodbye ? "\"goodbye\"" : "\"disconnected\"")
                .append('}').toString();
    }

    /** Data of the {@code peer-disconnected} local clients receive for a remote peer. */
    static String gone(String peerId) {
        StringBuilder sb = new StringBuilder(72).append("{\"peerId\":");
        return MessageCodec.quote(sb, peerId).append(",\"isHub\":false}").toString();
    }

    // ------------------------------------------------------------------ parsing

    /** A JSON object, or null when {@code json} is null, malformed or not an object. */
    static JsonObject object(String json) {
        if (json == null) {
            return null;
        }
        try {
            JsonElement e = JsonParser.parseString(json);
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** The {@code maxFrameSize} an announce advertised, 0 when none. */
    static long announcedLimit(String data) {
        JsonObject o = object(data);
        return o != null && o.has("maxFrameSize") && o.get("maxFrameSize").isJsonPrimitive()
                ? parseLong(o.get("maxFrameSize").getAsString()) : 0;
    }

    /** What the 101's hub header says: {@code <hubId> <namespace> <capability> maxFrame=<n>}. */
    record HubHeader(String hubId, String namespace, boolean smart, long maxFrame) {
        static HubHeader parse(String header) {
            String[] parts = header.trim().split("\\s+");
            String id = parts.length > 0 ? parts[0] : "";
            long limit = 0;
            for (String part : parts) {
                if (part.startsWith("maxFrame=")) {
                    limit = parseLong(part.substring("maxFrame=".length()));
                }
            }
            return new HubHeader(id, parts.length > 1 ? parts[1] : "", header.contains(HubMesh.CAPABILITY)
                    && PeerId.isValid(id), limit);
        }
    }

    /** A directory entry's data: {@code peerId}, {@code isHub}, {@code reason}; null without a peerId. */
    record Entry(String peerId, boolean isHub, boolean goodbye, JsonObject data) {
        static Entry parse(String json) {
            JsonObject d = object(json);
            if (d == null || !d.has("peerId") || !d.get("peerId").isJsonPrimitive()) {
                return null;
            }
            boolean hub = d.has("isHub") && d.get("isHub").isJsonPrimitive() && d.get("isHub").getAsBoolean();
            boolean bye = d.has("reason") && d.get("reason").isJsonPrimitive()
                    && "goodbye".equals(d.get("reason").getAsString());
            return new Entry(d.get("peerId").getAsString(), hub, bye, d);
        }

        /** What clients receive about a remote peer: its id, isHub false, its other data (no cache internals). */
        String discovery() {
            JsonObject out = new JsonObject();
            out.addProperty("peerId", peerId);
            out.addProperty("isHub", false);
            for (Map.Entry<String, JsonElement> e : data.entrySet()) {
                String k = e.getKey();
                if (!k.equals("peerId") && !k.equals("isHub") && !k.equals("cachedAt")) {
                    out.add(k, e.getValue());
                }
            }
            return out.toString();
        }
    }

    /** The valid hub ids of a {@code hub-sync}, or null when malformed or longer than {@code max}. */
    static Set<String> syncOrigins(String json, int max) {
        JsonObject d = object(json);
        if (d == null || !d.has("origins") || !d.get("origins").isJsonArray() || d.getAsJsonArray("origins").size() > max) {
            return null;
        }
        Set<String> origins = new HashSet<>();
        for (JsonElement e : d.getAsJsonArray("origins")) {
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() && PeerId.isValid(e.getAsString())) {
                origins.add(e.getAsString());
            }
        }
        return origins;
    }

    /**
     * The raw paths of a {@code hub-routes} advert (hub -> path, null for an entry that is not an array of
     * strings), in advert order; null when the advert has no routes object.
     */
    static Map<String, List<String>> routePaths(String json) {
        JsonObject d = object(json);
        if (d == null || !d.has("routes") || !d.get("routes").isJsonObject()) {
            return null;
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : d.getAsJsonObject("routes").entrySet()) {
            out.put(e.getKey(), stringsOf(e.getValue()));
        }
        return out;
    }

    private static List<String> stringsOf(JsonElement value) {
        if (!value.isJsonArray()) {
            return null;
        }
        JsonArray arr = value.getAsJsonArray();
        List<String> out = new ArrayList<>(arr.size());
        for (JsonElement h : arr) {
            if (!h.isJsonPrimitive() || !h.getAsJsonPrimitive().isString()) {
                return null;
            }
            out.add(h.getAsString());
        }
        return out;
    }

    /**
     * The dialable addresses of a {@code hub-routes} advert (hub id -> URI), valid ones only: a hub id, a ws or wss
     * URI with a host, no credentials, no query, at most 512 characters; at most {@code max} entries. Empty when none.
     */
    static Map<String, java.net.URI> addresses(String json, int max) {
        JsonObject d = object(json);
        if (d == null || !d.has("addrs") || !d.get("addrs").isJsonObject()) {
            return Map.of();
        }
        Map<String, java.net.URI> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : d.getAsJsonObject("addrs").entrySet()) {
            if (out.size() >= max) {
                break;
            }
            java.net.URI uri = e.getValue().isJsonPrimitive() ? dialable(e.getValue().getAsString()) : null;
            if (uri != null && PeerId.isValid(e.getKey())) {
                out.put(e.getKey(), uri);
            }
        }
        return out;
    }

    /** {@code text} as a dialable hub address (see {@link #addresses}), or null. */
    static java.net.URI dialable(String text) {
        if (text == null || text.length() > 512) {
            return null;
        }
        try {
            java.net.URI u = new java.net.URI(text);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
            boolean ok = (scheme.equals("ws") || scheme.equals("wss")) && u.getHost() != null && u.getRawUserInfo() == null
                    && u.getRawQuery() == null && u.getRawFragment() == null;
            return ok ? u : null;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }
}

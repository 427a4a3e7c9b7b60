package dev.peerpigeon.protocol;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import com.google.gson.stream.MalformedJsonException;

import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;

/**
 * Wire codec. Parsing is streaming (Gson {@link JsonReader}) and decodes only the envelope fields;
 * {@code data} is copied through as compact JSON text. Encoding writes the envelopes straight into a
 * {@link StringBuilder} in the reference's key order. Stateless and thread-safe.
 */
public final class MessageCodec {
    /** Deepest JSON nesting accepted in a frame; real clients use 3 levels at most. */
    public static final int MAX_NESTING = 32;

    private MessageCodec() {
    }

    /** Parses one frame. Every malformed or mistyped frame becomes a {@link ProtocolException}. */
    public static Inbound parse(String text) throws ProtocolException {
        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        reader.setNestingLimit(MAX_NESTING);
        try {
            JsonToken first = reader.peek();
            if (first != JsonToken.BEGIN_OBJECT) {
                throw new ProtocolException("Message must be a JSON object");
            }
            String type = null;
            String networkName = null;
            String target = null;
            String from = null;
            String data = null;
            String originHub = null;
            String msgId = null;
            int ttl = -1;
            long seq = -1;
            String targetHub = null;
            reader.beginObject();
            while (reader.hasNext()) {
                String name = reader.nextName();
                switch (name) {
                    case "type" -> type = stringField(reader, "type");
                    case "networkName" -> networkName = stringField(reader, "networkName");
                    case "targetPeerId" -> target = stringField(reader, "targetPeerId");
                    case "fromPeerId" -> from = stringField(reader, "fromPeerId");
                    case "data" -> data = copyValue(reader);
                    case "originHub" -> originHub = stringField(reader, "originHub");
                    case "msgId" -> msgId = stringField(reader, "msgId");
                    case "ttl" -> ttl = intField(reader, "ttl");
                    case "seq" -> seq = longField(reader, "seq");
                    case "targetHub" -> targetHub = stringField(reader, "targetHub");
                    default -> reader.skipValue();
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new ProtocolException("Invalid JSON: trailing data after the message");
            }
            RouteInfo route = (originHub != null || msgId != null) ? new RouteInfo(originHub, msgId, ttl, seq, targetHub) : null;
            return new Inbound(type, networkName, target, from, data, route);
        } catch (MalformedJsonException | EOFException | IllegalStateException e) {
            throw new ProtocolException("Invalid JSON: " + shorten(e.getMessage()));
        } catch (IOException e) {
            throw new ProtocolException("Invalid JSON: " + shorten(e.getMessage()));
        }
    }

    private static String stringField(JsonReader reader, String name) throws IOException, ProtocolException {
        JsonToken token = reader.peek();
        if (token == JsonToken.NULL) {
            reader.nextNull();
            return null;
        }
        if (token != JsonToken.STRING) {
            throw new ProtocolException("Field '" + name + "' must be a string");
        }
        return reader.nextString();
    }

    private static int intField(JsonReader reader, String name) throws IOException, ProtocolException {
        if (reader.peek() != JsonToken.NUMBER) {
            throw new ProtocolException("Field '" + name + "' must be a number");
        }
        try {
            return reader.nextInt();
        } catch (NumberFormatException e) {
            throw new ProtocolException("Field '" + name + "' must be an integer");
        }
    }

    private static long longField(JsonReader reader, String name) throws IOException, ProtocolException {
        if (reader.peek() != JsonToken.NUMBER) {
            throw new ProtocolException("Field '" + name + "' must be a number");
        }
        try {
            return reader.nextLong();
        } catch (NumberFormatException e) {
            throw new ProtocolException("Field '" + name + "' must be an integer");
        }
    }

    /** Copies the next value as compact JSON text. */
    private static String copyValue(JsonReader reader) throws IOException {
        StringWriter out = new StringWriter(64);
        JsonWriter writer = new JsonWriter(out);
        writer.setStrictness(Strictness.LENIENT); // lets a bare scalar be written as the whole document
        writer.setSerializeNulls(true);
        copy(reader, writer);
        writer.flush();
        return out.toString();
    }

    private static void copy(JsonReader reader, JsonWriter writer) throws IOException {
        int depth = 0;
        do {
            switch (reader.peek()) {
                case BEGIN_OBJECT -> {
                    reader.beginObject();
                    writer.beginObject();
                    depth++;
                }
                case END_OBJECT -> {
                    reader.endObject();
                    writer.endObject();
                    depth--;
                }
                case BEGIN_ARRAY -> {
                    reader.beginArray();
                    writer.beginArray();
                    depth++;
                }
                case END_ARRAY -> {
                    reader.endArray();
                    writer.endArray();
                    depth--;
                }
                case NAME -> writer.name(reader.nextName());
                case STRING -> writer.value(reader.nextString());
                case NUMBER -> writer.jsonValue(reader.nextString());
                case BOOLEAN -> writer.value(reader.nextBoolean());
                case NULL -> {
                    reader.nextNull();
                    writer.nullValue();
                }
                default -> throw new MalformedJsonException("unexpected end of data");
            }
        } while (depth > 0);
    }

    private static String shorten(String s) {
        if (s == null) {
            return "malformed";
        }
        int cut = s.indexOf("\nSee ");
        if (cut > 0) {
            s = s.substring(0, cut);
        }
        return s.length() > 160 ? s.substring(0, 160) + "…" : s;
    }

    // ---------------------------------------------------------------- encoding

    /** Appends {@code s} as a JSON string literal. */
    public static StringBuilder quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\u2028' -> sb.append("\\u2028");
                case '\u2029' -> sb.append("\\u2029");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }

    public static String quote(String s) {
        return quote(new StringBuilder(s.length() + 2), s).toString();
    }

    /** {@code {"type":"connected","data":{"peerId":id},"fromPeerId":"system","timestamp":t}} */
    public static String connected(String peerId, long now) {
        StringBuilder sb = new StringBuilder(120);
        sb.append("{\"type\":\"connected\",\"data\":{\"peerId\":");
        quote(sb, peerId).append("},\"fromPeerId\":\"system\",\"timestamp\":").append(now).append('}');
        return sb.toString();
    }

    /**
     * A relayed client signal, in the reference's key order
     * {@code type,data,fromPeerId,targetPeerId,networkName,timestamp}.
     * {@code route} adds Java-hub routing fields (hub links only).
     */
    public static String relay(String type, String data, String fromPeerId, String targetPeerId,
                               String networkName, long now, RouteInfo route) {
        StringBuilder sb = new StringBuilder(64 + (data == null ? 4 : data.length()));
        sb.append("{\"type\":");
        quote(sb, type);
        if (data != null) {
            sb.append(",\"data\":").append(data);
        }
        sb.append(",\"fromPeerId\":");
        quote(sb, fromPeerId);
        if (targetPeerId != null) {
            sb.append(",\"targetPeerId\":");
            quote(sb, targetPeerId);
        }
        sb.append(",\"networkName\":");
        quote(sb, networkName);
        sb.append(",\"timestamp\":").append(now);
        appendRoute(sb, route);
        return sb.append('}').toString();
    }

    /**
     * A server notice ({@code peer-discovered}, {@code peer-disconnected}) in the reference's key order
     * {@code type,data,networkName,fromPeerId,targetPeerId,timestamp}. {@code data} is JSON text.
     */
    public static String notice(String type, String data, String networkName, String targetPeerId, long now,
                                RouteInfo route) {
        StringBuilder sb = new StringBuilder(96 + data.length());
        sb.append("{\"type\":");
        quote(sb, type);
        sb.append(",\"data\":").append(data);
        sb.append(",\"networkName\":");
        quote(sb, networkName);
        sb.append(",\"fromPeerId\":\"system\"");
        if (targetPeerId != null) {
            sb.append(",\"targetPeerId\":");
            quote(sb, targetPeerId);
        }
        sb.append(",\"timestamp\":").append(now);
        appendRoute(sb, route);
        return sb.append('}').toString();
    }

    /** {@code {"type":"pong","data":{"timestamp":t},"fromPeerId":"system","targetPeerId":id,"timestamp":t}} */
    public static String pong(String targetPeerId, long now) {
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"type\":\"pong\",\"data\":{\"timestamp\":").append(now)
                .append("},\"fromPeerId\":\"system\",\"targetPeerId\":");
        quote(sb, targetPeerId).append(",\"timestamp\":").append(now).append('}');
        return sb.toString();
    }

    /**
     * An {@code error} reply. Unlike the reference it carries the sender's network, so that a client in
     * a non-global network does not drop it.
     */
    public static String error(String message, String networkName, long now) {
        StringBuilder sb = new StringBuilder(96 + message.length());
        sb.append("{\"type\":\"error\",\"error\":");
        quote(sb, message);
        if (networkName != null) {
            sb.append(",\"networkName\":");
            quote(sb, networkName);
        }
        sb.append(",\"timestamp\":").append(now).append('}');
        return sb.toString();
    }

    private static void appendRoute(StringBuilder sb, RouteInfo route) {
        if (route == null) {
            return;
        }
        if (route.originHub() != null) {
            sb.append(",\"originHub\":");
            quote(sb, route.originHub());
        }
        if (route.msgId() != null) {
            sb.append(",\"msgId\":");
            quote(sb, route.msgId());
        }
        if (route.ttl() >= 0) {
            sb.append(",\"ttl\":").append(route.ttl());
        }
        if (route.seq() >= 0) {
            sb.append(",\"seq\":").append(route.seq());
        }
        if (route.targetHub() != null) {
            sb.append(",\"targetHub\":");
            quote(sb, route.targetHub());
        }
    }
}

package dev.peerpigeon.transport;

import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.enums.CloseHandshakeType;
import org.java_websocket.enums.HandshakeState;
import org.java_websocket.enums.ReadyState;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.framing.BinaryFrame;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ClientHandshakeBuilder;
import org.java_websocket.handshake.HandshakeBuilder;
import org.java_websocket.handshake.HandshakeImpl1Server;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * The server side of every accepted socket: RFC 6455, and plain HTTP on the same port. Java-WebSocket only accepts
 * GET upgrade requests; this draft parses any request head leniently, lets the server decide (upgrade, endpoint
 * response or refusal with a real status code), and writes non-101 responses verbatim. After a plain response the
 * connection reads no frames and is closed once the response is flushed.
 *
 * <p>It extends {@link Draft}, not the library's {@code Draft_6455}: that one builds for every connection a
 * {@code SecureRandom}, two extension objects, a protocol and three lists a server without extensions never uses
 * (about 330 bytes of each idle connection), and for every handshake a {@code SimpleDateFormat} and a
 * {@code MessageDigest} lookup. Frames are decoded by {@link FrameDecoder} (fragments assembled there, so only whole
 * frames arrive here) and encoded by {@link FrameHeaders}; the client side of hub links is {@link ClientDraft}.
 *
 * <p>Threads: one instance per connection (see {@link #copyInstance()}), used by the one thread decoding it (its
 * worker, then the selector); {@link #reset()}, which the library calls from closing threads, touches nothing.
 */
final class ServerDraft extends Draft {
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final ThreadLocal<MessageDigest> SHA1 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
    });

    private final int maxFrameSize;
    private final FrameDecoder decoder;
    private boolean httpOnly;

    ServerDraft(int maxFrameSize) {
        this.maxFrameSize = maxFrameSize;
        this.decoder = new FrameDecoder(maxFrameSize, true);
    }

    @Override
    public Draft copyInstance() {
        return new ServerDraft(maxFrameSize);
    }

    @Override
    public Handshakedata translateHandshake(ByteBuffer buf) throws InvalidHandshakeException {
        return RequestHeadParser.parse(buf);
    }

    /** Always "matched": the server answers every request itself, with a real status on refusal. */
    @Override
    public HandshakeState acceptHandshakeAsServer(ClientHandshake request) {
        return HandshakeState.MATCHED;
    }

    @Override
    public HandshakeBuilder postProcessHandshakeResponseAsServer(ClientHandshake request,
                                                                 ServerHandshakeBuilder response)
            throws InvalidHandshakeException {
        if (response.getHttpStatus() != 101) {
            httpOnly = true;
            return response;
        }
        String key = request.getFieldValue("Sec-WebSocket-Key").trim(); // present: RequestHeadParser.isUpgrade
        if (key.isEmpty()) {
            throw new InvalidHandshakeException("missing Sec-WebSocket-Key");
        }
        response.setHttpStatusMessage("Switching Protocols");
        response.put("Upgrade", "websocket");
        response.put("Connection", request.getFieldValue("Connection")); // as sent (e.g. "keep-alive, Upgrade")
        response.put("Sec-WebSocket-Accept", acceptKey(key));
        response.put("Date", DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)));
        return response;
    }

    /** RFC 6455 4.2.2: base64 of the SHA-1 of the client's key and the protocol's GUID. */
    static String acceptKey(String key) {
        byte[] digest = SHA1.get().digest((key + ACCEPT_GUID).getBytes(StandardCharsets.ISO_8859_1));
        return Base64.getEncoder().encodeToString(digest);
    }

    /** {@code builder} as the plain HTTP answer {@code response} (status, headers, body; the connection closes after). */
    static HandshakeImpl1Server plainAnswer(HandshakeImpl1Server builder, dev.peerpigeon.http.HttpResponse response) {
        builder.setHttpStatus((short) response.status());
        builder.setHttpStatusMessage(response.reason());
        response.headers().forEach(builder::put);
        builder.put("Content-Length", Integer.toString(response.body().length));
        builder.put("Connection", "close");
        builder.setContent(response.body());
        return builder;
    }

    /** The response head as built (status line, then every field as put), and for a plain answer its body. */
    @Override
    public List<ByteBuffer> createHandshake(Handshakedata handshakedata, boolean withcontent) {
        ServerHandshake response = (ServerHandshake) handshakedata;
        StringBuilder head = new StringBuilder(256);
        head.append("HTTP/1.1 ").append(response.getHttpStatus()).append(' ')
                .append(response.getHttpStatusMessage()).append("\r\n");
        Iterator<String> it = response.iterateHttpFields();
        while (it.hasNext()) {
            String name = it.next();
            head.append(name).append(": ").append(response.getFieldValue(name)).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] content = withcontent && response.getContent() != null ? response.getContent() : new byte[0];
        ByteBuffer out = ByteBuffer.allocate(headBytes.length + content.length);
        out.put(headBytes).put(content).flip();
        return Collections.singletonList(out);
    }

    /** A request body, pipelined bytes after a plain HTTP answer: ignored. Otherwise see {@link FrameDecoder}. */
    @Override
    public List<Framedata> translateFrame(ByteBuffer in) throws InvalidDataException {
        if (httpOnly) {
            in.position(in.limit());
            return Collections.emptyList();
        }
        return decoder.decode(in);
    }

    @Override
    public void processFrame(WebSocketImpl ws, Framedata frame) throws InvalidDataException {
        if (FrameDecoder.deliver(ws, frame)) {
            return;
        }
        switch (frame.getOpcode()) {
            case CLOSING -> {
                CloseFrame close = (CloseFrame) frame; // what FrameDecoder makes of every close frame
                if (ws.getReadyState() == ReadyState.CLOSING) {
                    ws.closeConnection(close.getCloseCode(), close.getMessage(), true); // the answer to our close
                } else {
                    ws.close(close.getCloseCode(), close.getMessage(), true); // echoed, then closed (RFC 6455 5.5.1)
                }
            }
            case PING -> ws.getWebSocketListener().onWebsocketPing(ws, frame);
            case PONG -> {
                ws.updateLastPong();
                ws.getWebSocketListener().onWebsocketPong(ws, frame);
            }
            case BINARY -> {
                try {
                    ws.getWebSocketListener().onWebsocketMessage(ws, frame.getPayloadData());
                } catch (RuntimeException e) {
                    ws.getWebSocketListener().onWebsocketError(ws, e);
                }
            }
            // FrameDecoder hands over whole messages only.
            default -> throw new InvalidDataException(CloseFrame.PROTOCOL_ERROR, "unexpected " + frame.getOpcode() + " frame");
        }
    }

    @Override
    public ByteBuffer createBinaryFrame(Framedata f) {
        return FrameHeaders.encode(f, false);
    }

    @Override
    public List<Framedata> createFrames(String text, boolean mask) {
        return FrameHeaders.textFrame(text, false);
    }

    @Override
    public List<Framedata> createFrames(ByteBuffer binary, boolean mask) {
        BinaryFrame frame = new BinaryFrame();
        frame.setPayload(binary);
        return Collections.singletonList(frame);
    }

    @Override
    public CloseHandshakeType getCloseHandshakeType() {
        return CloseHandshakeType.TWOWAY;
    }

    /** Nothing to reset: a closing connection decodes nothing more (see {@link FrameDecoder}'s {@code failed}). */
    @Override
    public void reset() {
    }

    /** Server side only: hub links dial with {@link ClientDraft}. */
    @Override
    public HandshakeState acceptHandshakeAsClient(ClientHandshake request, ServerHandshake response) {
        return HandshakeState.NOT_MATCHED;
    }

    @Override
    public ClientHandshakeBuilder postProcessHandshakeRequestAsClient(ClientHandshakeBuilder request) {
        throw new UnsupportedOperationException("server side only");
    }
}

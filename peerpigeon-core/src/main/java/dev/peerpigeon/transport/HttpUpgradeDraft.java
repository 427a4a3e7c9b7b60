package dev.peerpigeon.transport;

import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.HandshakeState;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.HandshakeBuilder;
import org.java_websocket.handshake.HandshakeImpl1Server;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * RFC 6455 draft that also serves plain HTTP on the same port. Java-WebSocket only accepts GET
 * upgrade requests; this draft parses any request head leniently, lets the server decide (upgrade,
 * endpoint response or refusal with a real status code), and writes non-101 responses verbatim.
 * After a plain response the connection reads no frames and is closed once the response is flushed.
 *
 * <p>Threads: one instance per connection (see {@link #copyInstance()}), used by its worker thread.
 */
final class HttpUpgradeDraft extends Draft_6455 {
    private final int maxFrameSize;
    private boolean httpOnly;

    HttpUpgradeDraft(int maxFrameSize) {
        super(Collections.emptyList(), maxFrameSize);
        this.maxFrameSize = maxFrameSize;
        this.decoder = new FrameDecoder(maxFrameSize, () -> role == org.java_websocket.enums.Role.SERVER);
    }

    @Override
    public Draft copyInstance() {
        return new HttpUpgradeDraft(maxFrameSize);
    }

    @Override
    public Handshakedata translateHandshake(ByteBuffer buf) throws InvalidHandshakeException {
        if (role != org.java_websocket.enums.Role.SERVER) {
            return super.translateHandshake(buf);
        }
        return RequestHeadParser.parse(buf);
    }

    @Override
    public HandshakeState acceptHandshakeAsServer(ClientHandshake request) throws InvalidHandshakeException {
        if (RequestHeadParser.isUpgrade(request)) {
            // Runs the extension/protocol negotiation of the base draft; it accepts any client here.
            super.acceptHandshakeAsServer(request);
        }
        // Always "matched": the server answers every request itself, with a real status on refusal.
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
        return super.postProcessHandshakeResponseAsServer(request, response);
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

    @Override
    public List<ByteBuffer> createHandshake(Handshakedata handshakedata, boolean withcontent) {
        if (!(handshakedata instanceof ServerHandshake response) || response.getHttpStatus() == 101) {
            return super.createHandshake(handshakedata, withcontent);
        }
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

    /** Frame decoding is ours (see {@link FrameDecoder}); {@code role} is set after construction, hence lazily read. */
    private final FrameDecoder decoder;

    @Override
    public void processFrame(org.java_websocket.WebSocketImpl webSocketImpl, Framedata frame) throws InvalidDataException {
        if (frame instanceof FrameDecoder.Violation v) {
            webSocketImpl.close(v.code, v.reason);
            return;
        }
        if (frame.getOpcode() == org.java_websocket.enums.Opcode.TEXT && frame.isFin()) {
            // Whole messages only (FrameDecoder assembles fragments). The base draft decodes through a new
            // CharsetDecoder and a CharBuffer twice the message's size (about 3 KB of garbage per 1 KB signal).
            String text = FrameDecoder.utf8(frame.getPayloadData());
            if (text == null) {
                // Closed here rather than thrown: the library logs a thrown InvalidDataException with its stack.
                webSocketImpl.close(org.java_websocket.framing.CloseFrame.NO_UTF8, "Invalid UTF-8 in text frame");
                return;
            }
            try {
                webSocketImpl.getWebSocketListener().onWebsocketMessage(webSocketImpl, text);
            } catch (RuntimeException e) {
                webSocketImpl.getWebSocketListener().onWebsocketError(webSocketImpl, e); // as the base draft, unlogged
            }
            return;
        }
        super.processFrame(webSocketImpl, frame);
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

    /**
     * Masked text frames (this draft on the client side of a hub link) are masked in the frame's array, a word at a
     * time, instead of byte by byte through ByteBuffer accessors; everything else is encoded by the base draft.
     */
    @Override
    public ByteBuffer createBinaryFrame(Framedata f) {
        if (!f.getTransfereMasked() || f.getOpcode() != org.java_websocket.enums.Opcode.TEXT) {
            return super.createBinaryFrame(f);
        }
        ByteBuffer data = f.getPayloadData();
        int len = data.remaining();
        ByteBuffer out = ByteBuffer.allocate(FrameHeaders.headerLength(len, true) + len);
        FrameHeaders.putHeader(out, (f.isFin() ? 0x80 : 0) | 0x1, len, true);
        out.putInt(java.util.concurrent.ThreadLocalRandom.current().nextInt());
        int at = out.position(); // masked in place, in the frame: no copy of the payload of its own
        data.duplicate().get(out.array(), at, len);
        FrameHeaders.mask(out.array(), at, len, out.array(), at - 4);
        out.position(at + len).flip();
        return out;
    }

    /** Our own frames are valid by construction: skip the base draft's UTF-8 re-validation of outgoing text. */
    @Override
    public List<Framedata> createFrames(String text, boolean mask) {
        org.java_websocket.framing.TextFrame frame = new org.java_websocket.framing.TextFrame();
        frame.setPayload(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        frame.setTransferemasked(mask);
        return Collections.singletonList(frame);
    }
}

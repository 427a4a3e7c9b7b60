package dev.peerpigeon.transport;

import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.Framedata;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;

/**
 * The client side of a hub link: the library's RFC 6455 handshake and close handling, with our frame decoding
 * ({@link FrameDecoder}) and encoding ({@link FrameHeaders}: masked a word at a time instead of byte by byte through
 * ByteBuffer accessors). Accepted sockets use {@link ServerDraft}.
 *
 * <p>Threads: one instance per link (the library copies it), used by the link's reading thread.
 */
final class ClientDraft extends Draft_6455 {
    private final int maxFrameSize;
    private final FrameDecoder decoder;

    ClientDraft(int maxFrameSize) {
        super(Collections.emptyList(), maxFrameSize);
        this.maxFrameSize = maxFrameSize;
        this.decoder = new FrameDecoder(maxFrameSize, false);
    }

    @Override
    public Draft copyInstance() {
        return new ClientDraft(maxFrameSize);
    }

    @Override
    public List<Framedata> translateFrame(ByteBuffer in) throws InvalidDataException {
        return decoder.decode(in);
    }

    @Override
    public void processFrame(WebSocketImpl ws, Framedata frame) throws InvalidDataException {
        if (!FrameDecoder.deliver(ws, frame)) {
            super.processFrame(ws, frame);
        }
    }

    @Override
    public ByteBuffer createBinaryFrame(Framedata f) {
        return FrameHeaders.encode(f, true);
    }

    @Override
    public List<Framedata> createFrames(String text, boolean mask) {
        return FrameHeaders.textFrame(text, true);
    }
}

package dev.peerpigeon.transport;

import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A socket as Java-WebSocket sees it, plus what we track from accept to close. {@code remote} and
 * {@code counted} are written by the selector thread before the socket enters {@code pending} (and before any
 * byte of it is read); {@code released} is claimed by whichever close path comes first (any thread).
 */
final class Tracked extends WebSocketImpl {
    final long acceptedAt = System.nanoTime();
    volatile InetSocketAddress remote;
    volatile boolean counted;
    final AtomicBoolean released = new AtomicBoolean();

    Tracked(WebSocketAdapter listener, List<Draft> drafts) {
        super(listener, drafts);
    }
}

package dev.peerpigeon.transport;

import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.WebSocketServerFactory;
import org.java_websocket.drafts.Draft;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.function.Predicate;

/**
 * Creates {@link Tracked} sockets and sees each accepted channel first (selector thread): refills the
 * descriptor reserve (pausing accepts when that fails), asks the handler's connection limits (per IP, total)
 * and counts the socket. Stateless itself: the state it updates is owned by {@link AcceptGuard},
 * {@link HandshakeSweeper} and {@link LingeringCloser}.
 */
final class TrackingSocketFactory implements WebSocketServerFactory {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    private final AcceptGuard acceptGuard;
    private final HandshakeSweeper handshakes;
    private final LingeringCloser lingering;
    /** The handler's admission at accept ({@link TransportHandler#onAccepted}). */
    private final Predicate<InetSocketAddress> onAccepted;

    /** Null for plain ws; else every accepted channel is wrapped in TLS under our counting channel. */
    private final javax.net.ssl.SSLContext tls;
    /** Runs the TLS engines' delegated tasks: bounded (see WebSocketTransport). */
    private final java.util.concurrent.ExecutorService tlsTasks;

    /** Null when upgrades are never held. */
    private final HeldUpgrades holds;

    TrackingSocketFactory(AcceptGuard acceptGuard, HandshakeSweeper handshakes, LingeringCloser lingering,
                          Predicate<InetSocketAddress> onAccepted) {
        this(acceptGuard, handshakes, lingering, onAccepted, null, null, null);
    }

    TrackingSocketFactory(AcceptGuard acceptGuard, HandshakeSweeper handshakes, LingeringCloser lingering,
                          Predicate<InetSocketAddress> onAccepted, javax.net.ssl.SSLContext tls,
                          java.util.concurrent.ExecutorService tlsTasks, HeldUpgrades holds) {
        this.holds = holds;
        this.tls = tls;
        this.tlsTasks = tlsTasks;
        this.acceptGuard = acceptGuard;
        this.handshakes = handshakes;
        this.lingering = lingering;
        this.onAccepted = onAccepted;
    }

    @Override
    public WebSocketImpl createWebSocket(WebSocketAdapter a, Draft d) {
        return new Tracked(a, List.of(d), holds);
    }

    @Override
    public WebSocketImpl createWebSocket(WebSocketAdapter a, List<Draft> d) {
        return new Tracked(a, d, holds);
    }

    @Override
    public java.nio.channels.ByteChannel wrapChannel(SocketChannel channel, SelectionKey key) {
        // Closing the channel here (instead of throwing) keeps the library's accept loop on its normal path.
        if (!acceptGuard.admit(channel)) {
            return channel;
        }
        if (!(key.attachment() instanceof Tracked t)) {
            return channel;
        }
        InetSocketAddress remote;
        try {
            remote = (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException | RuntimeException e) {
            AcceptGuard.closeQuietly(channel);
            return channel;
        }
        if (!onAccepted.test(remote)) {
            log.debug("Closed {} at accept: connection limits", remote);
            AcceptGuard.closeQuietly(channel);
            return channel;
        }
        t.remote = remote;
        t.counted = true;
        acceptGuard.socketOpened();
        handshakes.add(t);
        if (tls != null) {
            // As DefaultSSLWebSocketServerFactory.wrapChannel does, under our counting channel (plaintext counted).
            // The TLS handshake happens before the request head: the handshake sweep covers a stalled one.
            try {
                javax.net.ssl.SSLEngine engine = tls.createSSLEngine();
                engine.setUseClientMode(false);
                return new CountingChannel(channel,
                        new TlsChannel(channel, engine, tlsTasks, key), lingering::linger);
            } catch (IOException | RuntimeException e) {
                log.debug("TLS set-up failed for {}: {}", remote, e.toString());
                AcceptGuard.closeQuietly(channel);
                return channel;
            }
        }
        // Every write passes here: queued bytes are counted exactly, and queued frames go out in gathering writes.
        return new CountingChannel(channel, lingering::linger, t.outQueue);
    }

    @Override
    public void close() {
    }
}

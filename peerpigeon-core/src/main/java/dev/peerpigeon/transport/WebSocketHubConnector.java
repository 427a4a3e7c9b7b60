package dev.peerpigeon.transport;

import dev.peerpigeon.federation.HubConnector;

import java.net.URI;
import java.util.Map;

/** The hub mesh's {@link HubConnector} over Java-WebSocket's client ({@link OutboundLink}). Immutable. */
public final class WebSocketHubConnector implements HubConnector {
    /** Trust for wss:// dials, or null for the JVM defaults. */
    private final javax.net.ssl.SSLContext trust;

    public WebSocketHubConnector() {
        this(null);
    }

    public WebSocketHubConnector(javax.net.ssl.SSLContext trust) {
        this.trust = trust;
    }

    @Override
    public Attempt dial(URI uri, Map<String, String> headers, Options options, Listener listener) {
        return OutboundLink.dial(uri, headers, options.maxFrameSize(), options.pingSeconds(), options.maxQueuedFrames(),
                listener, trust);
    }
}

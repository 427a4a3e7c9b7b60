package dev.peerpigeon.transport;

import dev.peerpigeon.http.HttpResponse;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.support.LogThrottle;
import dev.peerpigeon.support.Redaction;

import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.HandshakeImpl1Server;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Answers a parsed request head for Java-WebSocket: asks the handler, and turns its decision into the library's
 * handshake response (101 with the handler's upgrade headers, or a plain HTTP answer that closes the socket once
 * sent). A failing handler is a 500, logged at most once a second without a stack trace (the request came from a
 * client). Threads: worker threads; the log throttle is thread-safe, nothing else is kept.
 */
final class RequestAnswerer<S> {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    private final TransportHandler<S> handler;
    private final LogThrottle requestLog = LogThrottle.perSecond();

    RequestAnswerer(TransportHandler<S> handler) {
        this.handler = handler;
    }

    ServerHandshakeBuilder answer(WebSocket conn, ClientHandshake request) {
        RequestHead head = RequestHeadParser.head(request, conn.getRemoteSocketAddress());
        HttpResponse response;
        try {
            response = handler.onRequest(head);
        } catch (RuntimeException e) {
            int suppressed = requestLog.tryAcquire();
            if (suppressed >= 0) {
                log.info("Request handler failed for {} {} from {}: {}{}", head.method(), Redaction.target(head.target()),
                        head.remote(), e.toString(), LogThrottle.suffix(suppressed));
            }
            log.debug("Request handler failure", e);
            response = HttpResponse.of(500, "Internal Server Error", "text/plain", "Internal Server Error", Map.of());
        }
        if (response == null && !head.upgrade()) {
            response = HttpResponse.of(400, "Bad Request", "text/plain", "Bad Request", Map.of());
        }
        HandshakeImpl1Server builder = new HandshakeImpl1Server();
        if (response == null) {
            builder.setHttpStatus((short) 101);
            handler.upgradeHeaders().forEach(builder::put);
            conn.setAttachment(new Attachment<S>(head, false));
            return builder;
        }
        conn.setAttachment(new Attachment<S>(head, true));
        return ServerDraft.plainAnswer(builder, response);
    }
}

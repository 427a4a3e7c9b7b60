package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.signaling.Connection;

import java.net.URI;
import java.util.Map;

/**
 * How the hub mesh dials another hub. Owned by federation, implemented in the transport layer (one WebSocket
 * client per attempt); tests use an in-memory fake. Implementations call the listener on one reader thread
 * per attempt, in order.
 */
public interface HubConnector {
    /** Starts dialing {@code uri} with these extra upgrade request headers; returns at once. */
    Attempt dial(URI uri, Map<String, String> headers, Options options, Listener listener);

    /** Per-attempt link settings. */
    record Options(int maxFrameSize, int pingSeconds, int maxQueuedFrames) {
    }

    /** One dial attempt; once open, the link's connection. */
    interface Attempt extends Connection {
        /**
         * Gives up an attempt whose TCP connect or upgrade has not completed: the listener's onClose follows.
         * No-op once the link is open.
         */
        void abortHandshake(String reason);
    }

    /** Callbacks of one attempt. */
    interface Listener {
        /** The upgrade succeeded; {@code headers} are the 101 response's fields (case-insensitive keys). */
        void onOpen(Attempt attempt, Map<String, String> headers);

        /** A whole text message, valid only during the call ({@link TextFrame}). */
        void onMessage(TextFrame text);

        /**
         * The attempt failed or the link closed; called exactly once per attempt. {@code refusedStatus} is
         * the HTTP status with which the remote refused the upgrade (e.g. 403, 508), 0 when it did not.
         */
        void onClose(int code, String reason, int refusedStatus);
    }
}

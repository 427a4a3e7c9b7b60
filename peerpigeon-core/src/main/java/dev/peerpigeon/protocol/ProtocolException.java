package dev.peerpigeon.protocol;

/** A frame that cannot be processed; the message is sent back to the sender in an {@code error} frame. */
public final class ProtocolException extends Exception {
    public ProtocolException(String message) {
        super(message, null, false, false);
    }
}

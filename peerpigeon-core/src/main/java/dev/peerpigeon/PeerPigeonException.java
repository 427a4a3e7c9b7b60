package dev.peerpigeon;

/** Base of the exceptions thrown by the PeerPigeon server API. */
public class PeerPigeonException extends RuntimeException {
    public PeerPigeonException(String message) {
        super(message);
    }

    public PeerPigeonException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A configuration value (builder option or environment variable) is invalid. */
    public static final class ConfigException extends PeerPigeonException {
        public ConfigException(String message) {
            super(message);
        }
    }

    /** The server could not bind its port (after trying {@code maxPortRetries} more ports). */
    public static final class BindException extends PeerPigeonException {
        public BindException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** An operation is not allowed in the server's current state (e.g. a setting changed while running). */
    public static final class StateException extends PeerPigeonException {
        public StateException(String message) {
            super(message);
        }
    }
}

package dev.peerpigeon.transport;

import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.support.LogThrottle;


/**
 * Per-socket attachment: the request head until the upgrade completes, then the handler's state.
 * The open callback (a worker) and the close callback (possibly the selector thread) can race; the
 * volatile flags and {@code closeDelivered} make sure the handler hears of the close exactly once.
 */
final class Attachment<S> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WebSocketTransport.class);
    volatile RequestHead head;
    final boolean httpOnly;
    volatile Connection connection;
    volatile S state;
    volatile boolean socketClosed;
    volatile int closeCode = 1006;
    volatile String closeReason = "closed while opening";
    volatile boolean closedRemotely = true;
    private volatile boolean closeDelivered;
    private static final java.lang.invoke.VarHandle CLOSE_DELIVERED =
            dev.peerpigeon.support.FieldHandles.of(java.lang.invoke.MethodHandles.lookup(), "closeDelivered", boolean.class);

    /** True for the one caller that delivers the close to the handler (a field, not an AtomicBoolean: 16 bytes less). */
    boolean claimCloseDelivery() {
        return CLOSE_DELIVERED.compareAndSet(this, false, true);
    }
    /** Handler failures of this connection are logged at most once a second (created on the first). */
    private volatile LogThrottle failures;

    Attachment(RequestHead head, boolean httpOnly) {
        this.head = head;
        this.httpOnly = httpOnly;
    }

    /**
     * A handler failed on a frame of this connection, caused by what the client sent: at most one line per
     * connection per second, no stack trace (that is at DEBUG), the rest counted.
     */
    void handlerFailed(java.net.InetSocketAddress remote, RuntimeException e) {
        LogThrottle throttle = failures;
        if (throttle == null) {
            throttle = LogThrottle.perSecond();
            failures = throttle;
        }
        int suppressed = throttle.tryAcquire();
        if (suppressed >= 0) {
            LOG.info("Frame from {} could not be handled: {}{}", remote, e.toString(), LogThrottle.suffix(suppressed));
        }
        LOG.debug("Frame handler failure", e);
    }
}

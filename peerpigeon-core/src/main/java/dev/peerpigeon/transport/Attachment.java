package dev.peerpigeon.transport;

import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.support.LogThrottle;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Per-socket attachment: the request head until the upgrade completes, then the handler's state.
 * The open callback (a worker) and the close callback (possibly the selector thread) can race; the
 * volatile flags and {@code closeDelivered} make sure the handler hears of the close exactly once.
 */
final class Attachment<S> {
    volatile RequestHead head;
    final boolean httpOnly;
    volatile Connection connection;
    volatile S state;
    volatile boolean socketClosed;
    volatile int closeCode = 1006;
    volatile String closeReason = "closed while opening";
    volatile boolean closedRemotely = true;
    final AtomicBoolean closeDelivered = new AtomicBoolean();
    /** Handler failures of this connection are logged at most once a second (created on the first). */
    volatile LogThrottle failures;

    Attachment(RequestHead head, boolean httpOnly) {
        this.head = head;
        this.httpOnly = httpOnly;
    }
}

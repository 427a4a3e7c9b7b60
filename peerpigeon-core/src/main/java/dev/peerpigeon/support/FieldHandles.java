package dev.peerpigeon.support;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A {@link VarHandle} on a field of the caller's class: atomic updates of a plain volatile field, where an
 * {@code AtomicLong} or {@code AtomicBoolean} per object would cost 16-24 bytes more (per connection, say).
 */
public final class FieldHandles {
    private FieldHandles() {
    }

    /** {@code lookup} is the caller's {@code MethodHandles.lookup()}; the field is of its class. */
    public static VarHandle of(MethodHandles.Lookup lookup, String field, Class<?> type) {
        try {
            return lookup.findVarHandle(lookup.lookupClass(), field, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}

package dev.peerpigeon.testkit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a deadline (polling), failing with a description. Never a fixed sleep. */
public final class Await {
    private Await() {
    }

    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        until(what, timeout, condition, () -> "");
    }

    public static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<String> detail) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + ". " + detail.get());
            }
            // Poll interval only: the condition, not the pause, decides when to go on.
            LockSupport.parkNanos(2_000_000);
            if (Thread.interrupted()) {
                throw new AssertionError("Interrupted waiting for " + what);
            }
        }
    }

    /**
     * True when {@code condition} stays true for the whole {@code window}; false as soon as it is not. For asserting
     * that something does not happen: only a failure ends the window early, a pass always takes all of it.
     */
    public static boolean holds(Duration window, BooleanSupplier condition) {
        long end = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < end) {
            if (!condition.getAsBoolean()) {
                return false;
            }
            LockSupport.parkNanos(2_000_000);
        }
        return condition.getAsBoolean();
    }

    public static void until(String what, BooleanSupplier condition) {
        until(what, Duration.ofSeconds(10), condition);
    }
}

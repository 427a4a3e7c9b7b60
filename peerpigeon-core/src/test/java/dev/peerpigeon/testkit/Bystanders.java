package dev.peerpigeon.testkit;

import java.time.Duration;

/**
 * The bystander check of every attack test: after the attack, an offer between two uninvolved peers still
 * arrives. Stateless.
 */
public final class Bystanders {
    private Bystanders() {
    }

    /** An offer from {@code from} to {@code to} arrives (within 10 s). */
    public static void relay(TestClient from, TestClient to) {
        relay(from, to, Duration.ofSeconds(10));
    }

    public static void relay(TestClient from, TestClient to, Duration timeout) {
        int before = to.ofType("offer").size();
        from.offer(to.peerId(), "v=0 bystander " + before);
        Await.until("bystander relay", timeout, () -> to.ofType("offer").size() > before);
    }
}

package dev.peerpigeon.testkit;

import java.time.Duration;

/**
 * The bystander check of every attack test: two uninvolved peers in one network, and after the attack an offer
 * between them still arrives (each way). Used by the test thread.
 */
public record Bystanders(TestClient a, TestClient b) implements AutoCloseable {

    /** Two peers announced in {@code network} on the server at {@code port}, a having discovered b. */
    public static Bystanders join(int port, String network) {
        TestClient a = TestClient.connect(port).announce(network);
        TestClient b = TestClient.connect(port).announce(network);
        a.awaitDiscovered(b.peerId());
        return new Bystanders(a, b);
    }

    /** An offer arrives each way. */
    public void relayBothWays() {
        relay(a, b);
        relay(b, a);
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

    @Override
    public void close() {
        a.close();
        b.close();
    }
}

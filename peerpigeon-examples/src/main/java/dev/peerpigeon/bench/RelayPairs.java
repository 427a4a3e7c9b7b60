package dev.peerpigeon.bench;

import com.google.gson.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Relay pairs, connected and announced; {@link #discovered} once every A saw its B (cross-hub in W4). Written by
 * {@link LoadGenerator} before the load starts, then by the client loop thread (the counters are atomic or volatile).
 */
final class RelayPairs {
    final List<LoadPeer> peers = new ArrayList<>();
    final AtomicLong duplicateDiscoveries = new AtomicLong();
    /** Error frames from the server before the load started (a refused announce, say), and the first one. */
    final AtomicLong setupErrors = new AtomicLong();
    volatile String firstSetupError;
    int failures;
    /** Set once the pairs are connected and the discovery wait is over: later error frames are the load's. */
    volatile boolean loading;
    /** Pairs whose A had not seen its B when the discovery wait ended. */
    int undiscoveredPairs;

    boolean discovered() {
        return undiscoveredPairs == 0;
    }

    void report(JsonObject r) {
        r.addProperty("undiscoveredPairs", undiscoveredPairs);
        r.addProperty("setupErrors", setupErrors.get());
        if (firstSetupError != null) {
            r.addProperty("firstSetupError", firstSetupError);
        }
    }
}

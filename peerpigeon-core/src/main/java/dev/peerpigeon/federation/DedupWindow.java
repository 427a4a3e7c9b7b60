package dev.peerpigeon.federation;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers recently seen message ids in two generations; ids live between one and two rotation
 * periods. Bounded: a generation that fills up rotates early. Thread-safe.
 */
final class DedupWindow {
    private final int maxPerGeneration;
    private volatile Set<String> current = ConcurrentHashMap.newKeySet();
    private volatile Set<String> previous = ConcurrentHashMap.newKeySet();

    DedupWindow(int maxPerGeneration) {
        this.maxPerGeneration = maxPerGeneration;
    }

    /** True when {@code id} was not seen before (and records it). */
    boolean firstTime(String id) {
        if (previous.contains(id)) {
            return false;
        }
        boolean added = current.add(id);
        if (current.size() > maxPerGeneration) {
            rotate();
        }
        return added;
    }

    synchronized void rotate() {
        previous = current;
        current = ConcurrentHashMap.newKeySet();
    }
}

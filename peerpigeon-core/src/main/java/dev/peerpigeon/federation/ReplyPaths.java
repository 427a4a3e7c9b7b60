package dev.peerpigeon.federation;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The link each recent remote signal came over, by its sender: a reply to a peer whose announce has not reached
 * the directory yet goes back the way its signal came. (Its signals can overtake its announce: a signal is relayed
 * as soon as it is read, while the announce is applied on the mesh thread, so a local peer could answer an offer
 * before the directory knows who sent it, and got "not connected".) Two generations, rotated by the mesh sweep;
 * a generation that fills up rotates early, so it is bounded. Thread-safe.
 */
final class ReplyPaths {
    /** Where a reply to a peer goes: the link its signal came over, and the hub it came from (null: unknown). */
    record Path(HubLink link, String originHub) {
    }

    private final int maxPerGeneration;
    private volatile Map<String, Path> current = new ConcurrentHashMap<>();
    private volatile Map<String, Path> previous = new ConcurrentHashMap<>();

    ReplyPaths(int maxPerGeneration) {
        this.maxPerGeneration = maxPerGeneration;
    }

    /** A signal from {@code peer} in {@code net} arrived on {@code link}. */
    void learn(String net, String peer, HubLink link, String originHub) {
        current.put(net + '|' + peer, new Path(link, originHub));
        if (current.size() > maxPerGeneration) {
            rotate();
        }
    }

    /** The path of the latest signal from {@code peer} in {@code net}, over a link still usable; else null. */
    Path get(String net, String peer) {
        String key = net + '|' + peer;
        Path p = current.get(key);
        if (p == null) {
            p = previous.get(key);
        }
        return p != null && p.link().usable() ? p : null;
    }

    synchronized void rotate() {
        previous = current;
        current = new ConcurrentHashMap<>();
    }
}

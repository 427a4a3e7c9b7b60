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
    record Path(String net, HubLink link, String originHub) {
        boolean same(String net, HubLink link, String originHub) {
            return this.link == link && this.net.equals(net) && java.util.Objects.equals(this.originHub, originHub);
        }
    }

    private final int maxPerGeneration;
    /** By peer id (ids are unique across networks; the network is checked on the way back). */
    private volatile Map<String, Path> current = new ConcurrentHashMap<>();
    private volatile Map<String, Path> previous = new ConcurrentHashMap<>();

    ReplyPaths(int maxPerGeneration) {
        this.maxPerGeneration = maxPerGeneration;
    }

    /**
     * A signal from {@code peer} in {@code net} arrived on {@code link}. Nearly always the path is the one already
     * held, so it is read first: a write per remote signal (a key built and a map entry replaced) was 5 % of a hub's
     * CPU under W4.
     */
    void learn(String net, String peer, HubLink link, String originHub) {
        Map<String, Path> now = current;
        Path held = now.get(peer);
        if (held != null && held.same(net, link, originHub)) {
            return;
        }
        now.put(peer, new Path(net, link, originHub));
        if (now.size() > maxPerGeneration) {
            rotate();
        }
    }

    /** The path of the latest signal from {@code peer} in {@code net}, over a link still usable; else null. */
    Path get(String net, String peer) {
        Path p = current.get(peer);
        if (p == null) {
            p = previous.get(peer);
        }
        return p != null && p.net().equals(net) && p.link().usable() ? p : null;
    }

    synchronized void rotate() {
        previous = current;
        current = new ConcurrentHashMap<>();
    }
}

package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.signaling.LocalDelivery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * The peers of other hubs (network -> peer -> entry), the withdrawals that keep a late announce from resurrecting
 * a departed peer (tombstones, by origin and peer) and the federation-wide id count. An update is applied only when
 * its {@code seq} is newer than what is known of that peer. Local peers hear of every insert and removal through
 * {@link LocalDelivery#changeRemote}, under their network's lock, so a local joiner sees each entry exactly once.
 *
 * <p>Threads: written on the mesh thread only; read lock-free by transport threads (concurrent maps).
 */
final class RemoteDirectory {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);

    record Remote(String network, String peerId, String originHub, long seq, String discovery, HubLink learnedFrom,
                  long updatedAt) {
    }

    record Tombstone(long seq, long at, String network) {
    }

    /** Outcome of {@link #announce}. */
    enum Applied { NEW, UPDATED, STALE, FULL }

    private final int maxRemotePeers;
    private final LocalDelivery local;
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, Remote>> directory = new ConcurrentHashMap<>();
    /** origin|peer -> the last withdrawal. */
    private final ConcurrentHashMap<String, Tombstone> tombstones = new ConcurrentHashMap<>();
    /** peerId -> number of entries with that id (any network): the federation-wide id check. */
    private final ConcurrentHashMap<String, Integer> ids = new ConcurrentHashMap<>();
    private volatile int count;
    private long lastFullWarning;

    RemoteDirectory(int maxRemotePeers, LocalDelivery local) {
        this.maxRemotePeers = maxRemotePeers;
        this.local = local;
    }

    Remote get(String net, String peerId) {
        Map<String, Remote> map = directory.get(net);
        return map == null ? null : map.get(peerId);
    }

    int size() {
        return count;
    }

    boolean isLive(String peerId) {
        return ids.containsKey(peerId);
    }

    /** Every entry (a snapshot per network), for dumps and sweeps. */
    List<Remote> entries() {
        List<Remote> out = new ArrayList<>(count);
        for (ConcurrentHashMap<String, Remote> net : directory.values()) {
            out.addAll(net.values());
        }
        return out;
    }

    List<Remote> entries(String net) {
        Map<String, Remote> map = directory.get(net);
        return map == null ? List.of() : new ArrayList<>(map.values());
    }

    List<String> networks() {
        return new ArrayList<>(directory.keySet());
    }

    void forEachTombstone(BiConsumer<String[], Tombstone> action) {
        tombstones.forEach((k, t) -> {
            int bar = k.indexOf('|');
            action.accept(new String[]{k.substring(0, bar), k.substring(bar + 1)}, t);
        });
    }

    /** A copy of an update already applied (flooding delivers one over every link). */
    boolean alreadyKnown(String net, String peerId, String origin, long seq) {
        Remote e = get(net, peerId);
        if (e != null && e.originHub.equals(origin) && e.seq >= seq) {
            return true;
        }
        Tombstone t = tombstones.get(origin + "|" + peerId);
        return t != null && t.seq >= seq;
    }

    /** Applies an announce of {@code peerId} by {@code origin} at {@code seq}. */
    Applied announce(String net, String peerId, String origin, long seq, String discovery, HubLink from) {
        Tombstone t = tombstones.get(origin + "|" + peerId);
        if (t != null && t.seq >= seq) {
            return Applied.STALE;
        }
        if (get(net, peerId) == null && count >= maxRemotePeers) {
            long now = System.currentTimeMillis();
            if (now - lastFullWarning > 60_000) {
                lastFullWarning = now;
                log.warn("Remote peer directory full ({} peers, maxRemotePeers): ignoring new remote peers", count);
            }
            return Applied.FULL;
        }
        Applied[] outcome = {Applied.STALE};
        local.changeRemote(net, () -> {
            ConcurrentHashMap<String, Remote> map = directory.computeIfAbsent(net, k -> new ConcurrentHashMap<>());
            Remote existing = map.get(peerId);
            if (existing != null && (existing.seq > seq || (existing.originHub.equals(origin) && existing.seq == seq))) {
                return false;
            }
            map.put(peerId, new Remote(net, peerId, origin, seq, discovery, from, System.currentTimeMillis()));
            if (existing != null) {
                outcome[0] = Applied.UPDATED;
                return false; // clients already know the peer
            }
            count++;
            ids.merge(peerId, 1, Integer::sum);
            outcome[0] = Applied.NEW;
            return true;
        }, () -> MessageCodec.notice("peer-discovered", discovery, net, null, System.currentTimeMillis(), null));
        return outcome[0];
    }

    /**
     * Applies a withdrawal of {@code peerId} by {@code origin} at {@code seq}: remembers it (bounded) and removes
     * the entry when it is that origin's and older. True when removed.
     */
    boolean withdraw(String net, String peerId, String origin, long seq, boolean goodbye) {
        String key = origin + "|" + peerId;
        Tombstone old = tombstones.get(key);
        if ((old == null && tombstones.size() < maxRemotePeers) || (old != null && old.seq < seq)) {
            tombstones.put(key, new Tombstone(seq, System.currentTimeMillis(), net));
        }
        return remove(net, peerId, e -> e.originHub.equals(origin) && e.seq < seq, goodbye);
    }

    /** Removes this very entry (if still there). */
    boolean remove(Remote r) {
        return remove(r.network, r.peerId, e -> e == r, false);
    }

    private boolean remove(String net, String peerId, Predicate<Remote> condition, boolean goodbye) {
        boolean removed = local.changeRemote(net, () -> {
            ConcurrentHashMap<String, Remote> map = directory.get(net);
            Remote e = map == null ? null : map.get(peerId);
            if (e == null || !condition.test(e)) {
                return false;
            }
            map.remove(peerId, e);
            count--;
            ids.computeIfPresent(peerId, (k, v) -> v <= 1 ? null : v - 1);
            if (map.isEmpty()) {
                directory.remove(net, map);
            }
            return true;
        }, () -> MessageCodec.notice("peer-disconnected", LinkFrames.gone(peerId), net, null, System.currentTimeMillis(),
                null));
        if (removed && goodbye) {
            local.remoteGoodbye(peerId, net);
        }
        return removed;
    }

    /** Drops entries and tombstones of hubs that became unreachable; returns how many entries. */
    int purgeOrigins(Set<String> unreachable) {
        int n = 0;
        for (Remote r : entries()) {
            if (unreachable.contains(r.originHub) && remove(r)) {
                n++;
            }
        }
        // Their sequence state goes too: a forged seq can never outlive the hub's reachability.
        tombstones.keySet().removeIf(k -> unreachable.contains(k.substring(0, k.indexOf('|'))));
        return n;
    }

    /** Expires entries of unrouted origins not refreshed within {@code ttl}, and old tombstones. */
    void sweep(long now, long ttl, Set<String> reachable) {
        for (Remote r : entries()) {
            if (!reachable.contains(r.originHub) && now - r.updatedAt > ttl) {
                remove(r);
            }
        }
        tombstones.entrySet().removeIf(e -> now - e.getValue().at > Math.max(ttl, 60_000));
    }
}

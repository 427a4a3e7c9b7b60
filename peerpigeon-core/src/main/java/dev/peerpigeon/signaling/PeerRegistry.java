package dev.peerpigeon.signaling;

import dev.peerpigeon.signaling.Connection;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Registered peers and network memberships.
 *
 * <p>Threads: shared by all transport workers. The peer table is a {@link ConcurrentHashMap} keyed by
 * id whose removals are conditional on the session object ({@code remove(id, session)}), so a stale
 * socket can never unregister a newer session of the same id. Each network name maps to one of
 * {@value #STRIPES} lock stripes; a membership change and the discovery messages it causes happen under
 * that stripe, so two peers joining at the same time learn about each other exactly once. The hub mesh
 * takes the same stripe ({@link #withNetwork}) when it inserts a remote peer, so a local joiner sees each
 * remote peer exactly once too. No lock is held while another is taken.
 */
public final class PeerRegistry {
    public static final String DEFAULT_NETWORK = "global";

    /** Result of the pre-upgrade admission check. */
    public enum Admission { ACCEPT, DUPLICATE, FULL }

    static final int STRIPES = 256;
    private final Object[] stripes = new Object[STRIPES];
    private final int maxConnections;
    private final int maxNetworks;
    private final ConcurrentHashMap<String, PeerSession> peers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Network> networks = new ConcurrentHashMap<>();

    public PeerRegistry(int maxConnections, int maxNetworks) {
        this.maxConnections = maxConnections;
        this.maxNetworks = maxNetworks;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    private Object lockFor(String networkName) {
        int h = networkName.hashCode();
        return stripes[(h ^ (h >>> 16)) & (STRIPES - 1)];
    }

    /**
     * Runs {@code action} under the network's lock with its current members (an empty list when the
     * network does not exist). Used to insert remote peers without racing local joins.
     */
    public void withNetwork(String networkName, MembershipAction action) {
        synchronized (lockFor(networkName)) {
            Network net = networks.get(networkName);
            action.run(net == null ? List.of() : new ArrayList<>(net.members.values()));
        }
    }

    /** A network: its members by id. Guarded by its own monitor for changes; reads may be lock-free. */
    public static final class Network {
        final String name;
        final Map<String, PeerSession> members = new ConcurrentHashMap<>();
        boolean removed; // guarded by the network's stripe lock

        Network(String name) {
            this.name = name;
        }

        public String name() {
            return name;
        }

        public Collection<PeerSession> members() {
            return members.values();
        }
    }

    /** Checked before the WebSocket upgrade; {@link #register} re-checks atomically afterwards. */
    public Admission admit(String peerId) {
        PeerSession existing = peers.get(peerId);
        if (existing != null && existing.connection().isOpen() && !existing.isClosed()) {
            return Admission.DUPLICATE;
        }
        if (existing == null && peers.size() >= maxConnections) {
            return Admission.FULL;
        }
        return Admission.ACCEPT;
    }

    /**
     * Registers a session. Returns null on success, or the live session that already holds the id.
     * A registered session whose socket is no longer open is replaced (and returned via {@code onStale}
     * so the caller can clean its memberships).
     */
    public PeerSession register(PeerSession session, Consumer<PeerSession> onStale) {
        while (true) {
            PeerSession existing = peers.putIfAbsent(session.peerId(), session);
            if (existing == null) {
                if (peers.size() > maxConnections) {
                    peers.remove(session.peerId(), session);
                    return session; // full: reported as a conflict with itself
                }
                return null;
            }
            if (existing.connection().isOpen() && !existing.isClosed()) {
                return existing;
            }
            if (peers.replace(session.peerId(), existing, session)) {
                onStale.accept(existing);
                return null;
            }
        }
    }

    /** Removes the registration only if it still belongs to this session. */
    public boolean unregister(PeerSession session) {
        session.markClosed();
        return peers.remove(session.peerId(), session);
    }

    public PeerSession get(String peerId) {
        return peers.get(peerId);
    }

    public boolean isRegistered(PeerSession session) {
        return peers.get(session.peerId()) == session;
    }

    public Collection<PeerSession> sessions() {
        return peers.values();
    }

    public int connectionCount() {
        return peers.size();
    }

    public int networkCount() {
        return networks.size();
    }

    public Network network(String name) {
        return networks.get(name);
    }

    public Collection<Network> networks() {
        return networks.values();
    }

    /** Callback run under the network's lock with the other current members. */
    public interface MembershipAction {
        void run(List<PeerSession> others);
    }

    /**
     * Adds the session to the network and runs {@code action} under the network's lock with a snapshot
     * of the other members. Returns false (and does nothing) when the network limit is reached or the
     * session closed meanwhile.
     */
    public boolean join(PeerSession session, String networkName, java.util.function.Consumer<String> markMember,
                        MembershipAction action) {
        // markMember (which publishes the session's network) runs before the closed check: together with
        // close() setting "closed" before reading the network, one of the two always sees the other.
        while (true) {
            Network net = networks.get(networkName);
            if (net == null) {
                if (networks.size() >= maxNetworks) {
                    return false;
                }
                net = networks.computeIfAbsent(networkName, Network::new);
            }
            synchronized (lockFor(networkName)) {
                if (net.removed) {
                    continue; // lost a race with the removal of an empty network; retry on a fresh one
                }
                markMember.accept(net.name); // the network's own name: one String for all its members
                if (session.isClosed()) {
                    session.leaveNetwork();
                    removeIfEmpty(net);
                    return false;
                }
                List<PeerSession> others = new ArrayList<>(net.members.size());
                for (PeerSession p : net.members.values()) {
                    if (p != session) {
                        others.add(p);
                    }
                }
                net.members.put(session.peerId(), session);
                action.run(others);
                return true;
            }
        }
    }

    /**
     * Removes the session from the network (only if it is the member registered there) and runs
     * {@code action} under the lock with the remaining members. Returns false when it was not a member.
     */
    public boolean leave(PeerSession session, String networkName, MembershipAction action) {
        Network net = networks.get(networkName);
        if (net == null) {
            return false;
        }
        synchronized (lockFor(networkName)) {
            if (!net.members.remove(session.peerId(), session)) {
                return false;
            }
            action.run(new ArrayList<>(net.members.values()));
            removeIfEmpty(net);
            return true;
        }
    }

    private void removeIfEmpty(Network net) {
        // caller holds the network's stripe lock
        if (net.members.isEmpty()) {
            net.removed = true;
            networks.remove(net.name, net);
        }
    }
}

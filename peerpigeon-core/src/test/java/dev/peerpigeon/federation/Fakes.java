package dev.peerpigeon.federation;

import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.testkit.MemoryConnection;
import dev.peerpigeon.signaling.LocalDelivery;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingSettings;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** In-memory fakes of the federation's ports, for unit tests of its pure parts. */
final class Fakes {
    private Fakes() {
    }

    /** A connection that records what is sent. */
    static final class FakeConnection extends MemoryConnection implements HubConnector.Attempt {
        @Override
        public void abortHandshake(String reason) {
            open = false;
        }
    }

    /** A connector whose attempts the test drives. */
    static final class FakeConnector implements HubConnector {
        record Dial(URI uri, Map<String, String> headers, FakeConnection conn, Listener listener) {
        }

        final List<Dial> dials = new CopyOnWriteArrayList<>();

        @Override
        public Attempt dial(URI uri, Map<String, String> headers, Options options, Listener listener) {
            FakeConnection c = new FakeConnection();
            c.open = false; // open once the test calls onOpen
            dials.add(new Dial(uri, headers, c, listener));
            return c;
        }

        long dialsTo(URI uri) {
            return dials.stream().filter(d -> d.uri.getPort() == uri.getPort()).count();
        }
    }

    /** Local peers as a set of ids; notices recorded by network. */
    static final class FakeLocal implements LocalDelivery {
        final Set<String> localIds = ConcurrentHashMap.newKeySet();
        final List<String> notices = new CopyOnWriteArrayList<>();
        final List<String> goodbyes = new CopyOnWriteArrayList<>();
        final List<String> delivered = new CopyOnWriteArrayList<>();

        @Override
        public boolean deliverSignal(String type, String data, String fromPeerId, String target, String net) {
            if (!localIds.contains(target)) {
                return false;
            }
            delivered.add(type + ":" + target);
            return true;
        }

        @Override
        public synchronized boolean changeRemote(String net, BooleanSupplier change, Supplier<String> notice) {
            boolean changed = change.getAsBoolean();
            if (changed) {
                notices.add(notice.get());
            }
            return changed;
        }

        @Override
        public void remoteGoodbye(String peerId, String net) {
            goodbyes.add(peerId);
        }

        @Override
        public boolean isLocal(String peerId) {
            return localIds.contains(peerId);
        }

        @Override
        public void forEachLocalPeer(LocalPeerVisitor visitor) {
            for (String id : localIds) {
                visitor.visit("n1", id, "{\"peerId\":\"" + id + "\",\"isHub\":false}");
            }
        }

        @Override
        public void refuseHubLink(PeerSession session, String networkName) {
            session.connection().close(1008, "Hub authentication required");
        }

        @Override
        public SignalingSettings settings() {
            return new SignalingSettings("pigeonhub-mesh", 64, 10_000, 100, 200);
        }
    }

    /** A Java-hub link to {@code remoteHubId} over a fake connection, advertising {@code advertised}. */
    static HubLink link(String remoteHubId, Map<String, List<String>> advertised) {
        HubLink l = new HubLink(new FakeConnection(), true, URI.create("ws://127.0.0.1:1"), remoteHubId, true, null,
                1 << 20, 1000, new AtomicLong());
        l.advertised = advertised;
        return l;
    }

    /** A 40-hex-digit id made of {@code c}. */
    static String id(char c) {
        return String.valueOf(c).repeat(40);
    }
}

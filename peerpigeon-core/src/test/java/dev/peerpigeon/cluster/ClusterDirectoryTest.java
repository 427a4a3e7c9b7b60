package dev.peerpigeon.cluster;

import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.signaling.LocalDelivery;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingSettings;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The replica alone: which notices each change sends local peers, snapshots as diffs, bounds, heap per entry. */
class ClusterDirectoryTest {

    /** Records the notices the replica hands down (type and peer), as local peers would receive them. */
    static final class Recorder implements LocalDelivery {
        final List<String> notices = new ArrayList<>();
        final List<String> goodbyes = new ArrayList<>();
        final Set<String> local = new HashSet<>();
        boolean keep = true;

        @Override
        public boolean deliverSignal(String type, String data, String fromPeerId, String target, String net) {
            return false;
        }

        @Override
        public boolean changeRemote(String net, BooleanSupplier change, Supplier<String> notice) {
            if (!change.getAsBoolean()) {
                return false;
            }
            if (!keep) {
                return true;
            }
            String n = notice.get();
            String type = n.contains("peer-discovered") ? "discovered" : "disconnected";
            int id = n.indexOf("\"peerId\":\"") + 10;
            notices.add(type + " " + n.substring(id, id + 8) + " " + net);
            return true;
        }

        @Override
        public void remoteGoodbye(String peerId, String net) {
            goodbyes.add(peerId.substring(0, 8));
        }

        @Override
        public boolean isLocal(String peerId) {
            return local.contains(peerId);
        }

        @Override
        public void forEachLocalPeer(LocalPeerVisitor visitor) {
        }

        @Override
        public void refuseHubLink(PeerSession session, String networkName) {
        }

        @Override
        public SignalingSettings settings() {
            return null;
        }
    }

    private static ClusterDirectory.Entry entry(String node, String peer, String net) {
        return new ClusterDirectory.Entry(node, peer, net, "{\"peerId\":\"" + peer + "\",\"isHub\":false}");
    }

    private static String id(char c) {
        return String.valueOf(c).repeat(40);
    }

    @Test
    void eachPeerIsAnnouncedOnceAndAnUpdateInTheSameNetworkSaysNothing() {
        Recorder r = new Recorder();
        ClusterDirectory d = new ClusterDirectory(r, 100);
        d.put(entry("n1", id('a'), "app"));
        d.put(new ClusterDirectory.Entry("n1", id('a'), "app", "{\"peerId\":\"" + id('a') + "\",\"x\":1}"));
        assertThat(r.notices).containsExactly("discovered aaaaaaaa app");
        assertThat(d.get(id('a')).discovery()).contains("\"x\":1");
        // Moving networks: gone from the old one, new in the other.
        d.put(entry("n1", id('a'), "other"));
        assertThat(r.notices).containsExactly("discovered aaaaaaaa app", "disconnected aaaaaaaa app",
                "discovered aaaaaaaa other");
        assertThat(d.entries("app")).isEmpty();
        assertThat(d.entries("other")).hasSize(1);
    }

    @Test
    void aSnapshotIsAppliedAsADiffAndAGoodbyeReachesTheClosestLocalPeers() {
        Recorder r = new Recorder();
        ClusterDirectory d = new ClusterDirectory(r, 100);
        d.put(entry("n1", id('a'), "app"));
        d.put(entry("n1", id('b'), "app"));
        r.notices.clear();
        Map<String, ClusterDirectory.Entry> snapshot = new HashMap<>();
        snapshot.put(id('b'), entry("n1", id('b'), "app"));
        snapshot.put(id('c'), entry("n1", id('c'), "app"));
        d.replaceNode("n1", 7, snapshot);
        assertThat(r.notices).containsExactlyInAnyOrder("disconnected aaaaaaaa app", "discovered cccccccc app");
        assertThat(d.lastSeq("n1")).isEqualTo(7);
        assertThat(d.accept("n1", 7)).isFalse(); // older or equal events are stale
        assertThat(d.accept("n1", 8)).isTrue();
        d.remove("n2", id('b'), true); // not n2's: nothing
        d.remove("n1", id('b'), true);
        assertThat(r.goodbyes).containsExactly("bbbbbbbb");
        d.dropNode("n1");
        assertThat(d.size()).isZero();
        assertThat(d.nodes()).isEmpty();
        assertThat(d.lastSeq("n1")).isZero();
    }

    @Test
    void aLocalPeerWinsAndTheReplicaIsBounded() {
        Recorder r = new Recorder();
        r.local.add(id('a'));
        ClusterDirectory d = new ClusterDirectory(r, 2);
        d.put(entry("n1", id('a'), "app"));
        assertThat(d.isLive(id('a'))).isFalse();
        d.put(entry("n1", id('b'), "app"));
        d.put(entry("n1", id('c'), "app"));
        d.put(entry("n1", id('d'), "app")); // beyond maxRemotePeers: ignored (and logged once a minute)
        assertThat(d.size()).isEqualTo(2);
        assertThat(d.isLive(id('d'))).isFalse();
    }

    @Test
    void aRemotePeerCostsUnderOneKilobyteOfHeap() {
        int n = 100_000;
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(PeerId.generate());
        }
        Recorder quiet = new Recorder();
        quiet.keep = false;
        ClusterDirectory d = new ClusterDirectory(quiet, n);
        long before = usedHeap();
        for (int i = 0; i < n; i++) {
            // As parsed from events: fresh strings for node, network and discovery (the ids list holds the ids).
            d.put(new ClusterDirectory.Entry(new String("0123456789abcdef"), ids.get(i), new String("global"),
                    "{\"peerId\":\"" + ids.get(i) + "\",\"isHub\":false}"));
        }
        long perPeer = (usedHeap() - before) / n;
        System.out.println("MEASURED cluster replica heap per remote peer: " + perPeer + " bytes (ids excluded)");
        assertThat(d.size()).isEqualTo(n);
        assertThat(perPeer).isLessThan(1024);
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}

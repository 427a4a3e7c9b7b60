package dev.peerpigeon.federation;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static dev.peerpigeon.federation.Fakes.id;
import static org.assertj.core.api.Assertions.assertThat;

class RemoteDirectoryTest {
    private static final String ORIGIN = id('a');
    private static final String OTHER = id('b');
    private static final String PEER = id('1');
    private static final String D = "{\"peerId\":\"" + PEER + "\",\"isHub\":false}";

    private final Fakes.FakeLocal local = new Fakes.FakeLocal();
    private final RemoteDirectory dir = new RemoteDirectory(2, local);
    private final HubLink via = Fakes.link(ORIGIN, Map.of());

    @Test
    void anUpdateAppliesOnlyWhenNewerAndClientsHearOfEachPeerOnce() {
        assertThat(dir.announce("n1", PEER, ORIGIN, 10, D, via)).isEqualTo(RemoteDirectory.Applied.NEW);
        assertThat(dir.announce("n1", PEER, ORIGIN, 10, D, via)).isEqualTo(RemoteDirectory.Applied.STALE);
        assertThat(dir.announce("n1", PEER, OTHER, 9, D, via)).isEqualTo(RemoteDirectory.Applied.STALE);
        assertThat(dir.announce("n1", PEER, ORIGIN, 11, D, via)).isEqualTo(RemoteDirectory.Applied.UPDATED);
        assertThat(dir.get("n1", PEER).seq()).isEqualTo(11);
        assertThat(local.notices).hasSize(1);
        assertThat(local.notices.get(0)).contains("peer-discovered").contains(PEER);
        assertThat(dir.isLive(PEER)).isTrue();
        assertThat(dir.size()).isEqualTo(1);
    }

    @Test
    void aWithdrawalLeavesATombstoneThatRefusesOlderAnnounces() {
        dir.announce("n1", PEER, ORIGIN, 10, D, via);
        assertThat(dir.withdraw("n1", PEER, ORIGIN, 9, false)).isFalse(); // older than the entry
        assertThat(dir.withdraw("n1", PEER, ORIGIN, 12, true)).isTrue();
        assertThat(local.goodbyes).containsExactly(PEER);
        assertThat(local.notices.get(1)).contains("peer-disconnected");
        assertThat(dir.isLive(PEER)).isFalse();
        assertThat(dir.announce("n1", PEER, ORIGIN, 11, D, via)).isEqualTo(RemoteDirectory.Applied.STALE);
        assertThat(dir.announce("n1", PEER, ORIGIN, 12, D, via)).isEqualTo(RemoteDirectory.Applied.STALE);
        assertThat(dir.alreadyKnown("n1", PEER, ORIGIN, 12)).isTrue();
        assertThat(dir.announce("n1", PEER, ORIGIN, 13, D, via)).isEqualTo(RemoteDirectory.Applied.NEW);
    }

    @Test
    void aWithdrawalOnlyRemovesAnEntryOfTheOriginItNames() {
        dir.announce("n1", PEER, ORIGIN, 10, D, via);
        assertThat(dir.withdraw("n1", PEER, OTHER, 20, false)).isFalse();
        assertThat(dir.get("n1", PEER)).isNotNull();
    }

    @Test
    void anUnreachableOriginTakesItsEntriesAndTombstonesWithIt() {
        dir.announce("n1", PEER, ORIGIN, 10, D, via);
        dir.announce("n2", id('2'), OTHER, 10, D, via);
        dir.withdraw("n3", id('3'), ORIGIN, 50, false);
        assertThat(dir.purgeOrigins(Set.of(ORIGIN))).isEqualTo(1);
        assertThat(dir.get("n1", PEER)).isNull();
        assertThat(dir.get("n2", id('2'))).isNotNull();
        // its tombstone went too: a later (lower) seq of a restarted origin applies
        assertThat(dir.announce("n3", id('3'), ORIGIN, 40, D, via)).isEqualTo(RemoteDirectory.Applied.NEW);
    }

    @Test
    void aFullDirectoryIgnoresNewPeersButUpdatesKnownOnes() {
        dir.announce("n1", id('1'), ORIGIN, 10, D, via);
        dir.announce("n1", id('2'), ORIGIN, 10, D, via);
        assertThat(dir.announce("n1", id('3'), ORIGIN, 10, D, via)).isEqualTo(RemoteDirectory.Applied.FULL);
        assertThat(dir.announce("n1", id('2'), ORIGIN, 11, D, via)).isEqualTo(RemoteDirectory.Applied.UPDATED);
        assertThat(dir.size()).isEqualTo(2);
    }

    @Test
    void theSweepExpiresOnlyUnroutedStaleEntries() {
        dir.announce("n1", id('1'), ORIGIN, 10, D, via);
        dir.announce("n1", id('2'), OTHER, 10, D, via);
        dir.sweep(System.currentTimeMillis() + 10_000, 1_000, Set.of(OTHER));
        assertThat(dir.get("n1", id('1'))).isNull();
        assertThat(dir.get("n1", id('2'))).isNotNull();
    }
}
